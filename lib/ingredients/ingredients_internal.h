/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal helpers of the ingredient checker (lib/ingredients only). */
#ifndef PC_INGREDIENTS_INTERNAL_H
#define PC_INGREDIENTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_KEY_MAX 256 /* normalised keys longer than this are cut (no fuzzy matching) */

/* The normalised matching key of a name: ASCII letters lowercased, common accented Latin
 * letters folded (é → e, ß → ss), every other ASCII character (space, hyphen, punctuation,
 * '&', '#') dropped, other UTF-8 bytes kept. Writes at most PC_KEY_MAX bytes plus NUL into key
 * and returns its length; *words (may be NULL) gets the number of alphanumeric words. */
size_t pc_inci_key(const char *name, size_t len, char *key, int *words);

/* The key with every parenthesised / bracketed part removed ("Cocos Nucifera (Coconut) Oil" →
 * "cocosnuciferaoil"). Returns 0 when the name has no brackets. */
size_t pc_inci_key_unbracketed(const char *name, size_t len, char *key, int *words);

/* Edit-cost classes of the fuzzy matcher (docs/ingredients.md, "Matching"). */
#define PC_OCR_COST 0.3  /* an OCR confusion: 0/o 1/l/i 5/s 8/b 2/z c/e f/r, rn/m cl/d vv/w ii/u */
#define PC_TYPO_COST 0.5 /* a typing slip: QWERTY neighbours, two letters swapped */
/* Weighted optimal-string-alignment distance between a and b: OCR confusions and typing slips
 * at their class cost, every other insertion, deletion or substitution at other_cost (1 for a
 * plain distance; a large value makes them impossible within limit). Stops early once every
 * path exceeds limit (then returns a value > limit). Strings longer than 79 bytes: > limit. */
double pc_ocr_distance(const char *a, size_t na, const char *b, size_t nb, double limit,
                       double other_cost);

/* The digit signature of a name: its digits word by word, a 0/1/5/8 inside a word of letters
 * read as the letter it resembles ("Cety1" has none, "PEG-100" has 100), an o/l/i touching a
 * digit read as the digit ("PEG-1OO" has 100). Writes at most cap - 1 bytes plus NUL. */
void pc_inci_digits(const char *name, size_t len, char *out, size_t cap);

#endif
