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

/* Weighted optimal-string-alignment distance with OCR confusions (0/o, 1/l/i, 5/s, 8/b, rn/m,
 * cl/d, vv/w cost 0.3), stopping early once every path exceeds limit (returns > limit). */
double pc_ocr_distance(const char *a, size_t na, const char *b, size_t nb, double limit);

#endif
