/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of the treatment protocol engine: one row per contraindication of
 * domain/treatment.md (client → status, step actions, reason codes), combinations, unknown
 * entries, malformed intakes (field paths), protocol loader errors (line and column),
 * certifications, and concurrent plan building from one shared protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/protocol.h"

static pc_protocol *proto;
static pc_protocol *proto_salicylic_mask; /* the same, the default mask being the salicylic one */

/* The shipped protocol: tests run from the repository root (tests/run does). */
static int setup(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_protocol_load_file(&ctx, "data/protocol.json", &proto)) {
        fprintf(stderr, "%s\n", pc_errmsg(&ctx));
        return -1;
    }
    static char text[1 << 18], variant[1 << 18];
    FILE *f = fopen("data/protocol.json", "rb");
    if (!f) return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *from = "\"type\": { \"default\": \"clay\"";
    const char *at = strstr(text, from);
    if (!at) return -1;
    snprintf(variant, sizeof variant, "%.*s\"type\": { \"default\": \"salicylic\"%s",
             (int)(at - text), text, at + strlen(from));
    if (pc_protocol_load_text(&ctx, variant, strlen(variant), "salicylic-mask.json",
                              &proto_salicylic_mask)) {
        fprintf(stderr, "%s\n", pc_errmsg(&ctx));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pc_protocol_free(proto);
    pc_protocol_free(proto_salicylic_mask);
    return 0;
}

/* Intake text: visit 2026-11-29, the given skin type and Fitzpatrick, plus extra fields. */
static void make_intake(char *buf, size_t n, const char *skin, int fitz, const char *extra)
{
    snprintf(
        buf, n,
        "{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"t-1\", \"skin_type\": \"%s\", "
        "\"fitzpatrick\": %d}%s%s}",
        skin, fitz, extra[0] ? ", " : "", extra);
}

typedef struct row {
    const char *name;
    const char *skin;
    int fitz;
    const char *extra;      /* JSON members added to the intake */
    const char *assessment; /* analyze --json text or NULL */
    pc_plan_status status;
    const char *actions; /* one letter per step in protocol order: d(o) m(odify) s(kip) */
    const char *codes;   /* space-separated reason codes that must appear */
} row;

static const row rows[] = {
    /* no contraindication */
    {"normal skin, nothing", "normal", 2, "", NULL, PC_PLAN_OK, "ddddddd", "neon_for_dry_skin"},
    {"oily skin, nothing", "oily", 2, "", NULL, PC_PLAN_OK, "ddddddd",
     "bha_for_oily_skin argon_for_oily_skin"},
    /* whole treatment: blocks */
    {"impetigo", "normal", 2, "\"conditions\": [\"impetigo\"]", NULL, PC_PLAN_BLOCKED, "sssssss",
     "contagious_impetigo"},
    {"herpes simplex", "normal", 2, "\"conditions\": [\"herpes_simplex_active\"]", NULL,
     PC_PLAN_BLOCKED, "sssssss", "contagious_herpes_simplex"},
    {"cold sore alias", "normal", 2, "\"conditions\": [\"Cold Sore\"]", NULL, PC_PLAN_BLOCKED,
     "sssssss", "contagious_herpes_simplex"},
    {"conjunctivitis", "normal", 2, "\"conditions\": [\"conjunctivitis\"]", NULL, PC_PLAN_BLOCKED,
     "sssssss", "contagious_conjunctivitis"},
    {"fungal infection", "normal", 2, "\"conditions\": [\"fungal_infection\"]", NULL,
     PC_PLAN_BLOCKED, "sssssss", "contagious_fungal_infection"},
    {"open wound", "normal", 2, "\"conditions\": [\"open_wound\"]", NULL, PC_PLAN_BLOCKED,
     "sssssss", "open_wound"},
    {"fever", "normal", 2, "\"conditions\": [\"fever\"]", NULL, PC_PLAN_BLOCKED, "sssssss",
     "fever"},
    {"surgery 59 days ago", "normal", 2,
     "\"recent_procedures\": [{\"kind\": \"surgery\", \"date\": \"2026-10-01\"}]", NULL,
     PC_PLAN_BLOCKED, "sssssss", "surgery_3_months"},
    {"surgery 120 days ago", "normal", 2,
     "\"recent_procedures\": [{\"kind\": \"surgery\", \"date\": \"2026-08-01\"}]", NULL, PC_PLAN_OK,
     "ddddddd", ""},
    /* whole treatment: caution */
    {"pregnancy", "normal", 2, "\"pregnant\": true", NULL, PC_PLAN_MODIFIED, "dddddsd",
     "pregnancy_gentle hf_pregnancy"},
    /* chemical exfoliation (oily skin gets BHA by personalisation) */
    {"isotretinoin 9 months ago", "oily", 2,
     "\"medications\": [{\"name\": \"isotretinoin\", \"last_taken\": \"2026-03-01\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "isotretinoin_no_chemical_exfoliation"},
    {"isotretinoin 4 months ago", "oily", 2,
     "\"medications\": [{\"name\": \"isotretinoin\", \"last_taken\": \"2026-08-01\"}]", NULL,
     PC_PLAN_MODIFIED, "dmdsddd", "isotretinoin_no_chemical_exfoliation isotretinoin_6_months"},
    {"isotretinoin 13 months ago", "oily", 2,
     "\"medications\": [{\"name\": \"isotretinoin\", \"last_taken\": \"2025-10-01\"}]", NULL,
     PC_PLAN_OK, "ddddddd", ""},
    {"peel 19 days ago", "oily", 2,
     "\"recent_procedures\": [{\"kind\": \"chemical_peel\", \"date\": \"2026-11-10\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "peel_4_weeks"},
    {"peel 59 days ago", "oily", 2,
     "\"recent_procedures\": [{\"kind\": \"chemical_peel\", \"date\": \"2026-10-01\"}]", NULL,
     PC_PLAN_OK, "ddddddd", ""},
    {"sunburn 9 days ago", "oily", 2,
     "\"recent_procedures\": [{\"kind\": \"sunburn\", \"date\": \"2026-11-20\"}]", NULL,
     PC_PLAN_MODIFIED, "dmssddd",
     "sunburn_2_weeks_exfoliation steam_recent_sunburn extract_recent_sunburn hf_recent_sunburn"},
    {"botox 14 days ago", "oily", 2,
     "\"recent_procedures\": [{\"kind\": \"Botox\", \"date\": \"2026-11-15\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "botox_4_weeks"},
    {"laser 14 days ago", "oily", 2,
     "\"recent_procedures\": [{\"kind\": \"laser\", \"date\": \"2026-11-15\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "laser_4_weeks"},
    {"waxing 4 days ago", "oily", 2,
     "\"recent_procedures\": [{\"kind\": \"waxing\", \"date\": \"2026-11-25\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "waxing_1_week"},
    {"retinoid 2 days ago", "oily", 2,
     "\"medications\": [{\"name\": \"Retin-A\", \"last_taken\": \"2026-11-27\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "retinoid_5_days"},
    {"retinoid 9 days ago", "oily", 2,
     "\"medications\": [{\"name\": \"adapalene\", \"last_taken\": \"2026-11-20\"}]", NULL,
     PC_PLAN_OK, "ddddddd", ""},
    {"vitamin C 1 day ago", "oily", 2,
     "\"medications\": [{\"name\": \"Vitamin C\", \"last_taken\": \"2026-11-28\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "vitamin_c_5_days"},
    {"topical acid now", "oily", 2, "\"medications\": [{\"name\": \"glycolic acid\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "topical_acid_5_days"},
    {"antibiotic 19 days ago", "oily", 2,
     "\"medications\": [{\"name\": \"Doxycycline\", \"last_taken\": \"2026-11-10\"}]", NULL,
     PC_PLAN_MODIFIED, "dmddddd", "antibiotic_4_weeks"},
    {"antibiotic 40 days ago", "oily", 2,
     "\"medications\": [{\"name\": \"minocycline\", \"last_taken\": \"2026-10-20\"}]", NULL,
     PC_PLAN_OK, "ddddddd", ""},
    {"eczema", "oily", 2, "\"conditions\": [\"eczema\"]", NULL, PC_PLAN_MODIFIED, "dmmdddd",
     "eczema_no_chemical_exfoliation steam_eczema_short"},
    {"rosacea", "oily", 2, "\"conditions\": [\"rosacea\"]", NULL, PC_PLAN_MODIFIED, "dmsdddd",
     "rosacea_no_chemical_exfoliation steam_rosacea extract_rosacea"},
    {"fitzpatrick V", "oily", 5, "", NULL, PC_PLAN_OK, "ddddddd",
     "fitzpatrick_pih_exfoliation extract_fitzpatrick_pih"},
    /* salicylic acid */
    {"aspirin allergy", "oily", 2, "\"allergies\": [\"Aspirin\"]", NULL, PC_PLAN_MODIFIED,
     "dmddddd", "aspirin_allergy_no_salicylic aspirin_allergy_no_salicylic_mask"},
    {"pregnancy, oily", "oily", 2, "\"pregnant\": true", NULL, PC_PLAN_MODIFIED, "dmdddsd",
     "pregnancy_no_salicylic pregnancy_no_salicylic_mask hf_pregnancy"},
    {"breastfeeding, oily", "oily", 2, "\"breastfeeding\": true", NULL, PC_PLAN_MODIFIED, "dmddddd",
     "breastfeeding_no_salicylic breastfeeding_no_salicylic_mask"},
    /* steam */
    {"telangiectasia", "normal", 2, "\"conditions\": [\"telangiectasia\"]", NULL, PC_PLAN_MODIFIED,
     "ddsdddd", "steam_telangiectasia"},
    {"sunburn now", "normal", 2, "\"conditions\": [\"sunburn\"]", NULL, PC_PLAN_MODIFIED, "ddssddd",
     "steam_sunburn extract_sunburn hf_sunburn"},
    {"very sensitive skin", "normal", 2, "\"conditions\": [\"very_sensitive_skin\"]", NULL,
     PC_PLAN_MODIFIED, "ddmdmdd",
     "steam_very_sensitive_short extract_very_sensitive mask_very_sensitive_calming"},
    {"psoriasis", "normal", 2, "\"conditions\": [\"psoriasis\"]", NULL, PC_PLAN_MODIFIED, "ddmdddd",
     "steam_psoriasis_short"},
    {"dermatitis", "normal", 2, "\"conditions\": [\"dermatitis\"]", NULL, PC_PLAN_MODIFIED,
     "ddmdddd", "steam_dermatitis_short"},
    {"asthma", "normal", 2, "\"conditions\": [\"asthma\"]", NULL, PC_PLAN_MODIFIED, "ddmddmd",
     "steam_asthma_distance hf_asthma_ozone"},
    /* extraction */
    {"inflamed pustular acne", "oily", 2, "\"conditions\": [\"inflamed_pustular_acne\"]", NULL,
     PC_PLAN_MODIFIED, "dddsddd", "inflamed_acne_refer"},
    {"tanned skin", "normal", 2, "\"conditions\": [\"tanned_skin\"]", NULL, PC_PLAN_OK, "ddddddd",
     "extract_tanned_pih"},
    {"assessment: inflamed dominate", "oily", 2, "",
     "{\"file\": \"x.jpg\", \"counts\": {\"pore\": 300, \"blackhead\": 2, \"whitehead\": 1, "
     "\"papule\": 5, \"pustule\": 3}, \"grade\": 1, \"scores\": {}}",
     PC_PLAN_MODIFIED, "dddsddd", "assessment_inflamed_refer"},
    {"assessment: few inflamed", "oily", 2, "",
     "{\"counts\": {\"blackhead\": 12, \"whitehead\": 4, \"papule\": 2, \"pustule\": 1}}",
     PC_PLAN_OK, "ddddddd", "argon_for_congestion"},
    {"assessment: heavy congestion", "normal", 2, "",
     "{\"counts\": {\"blackhead\": 20, \"whitehead\": 6}, \"extra\": [1, 2]}", PC_PLAN_OK,
     "ddddddd", "argon_for_congestion calming_mask_after_heavy_extraction"},
    /* high frequency */
    {"pacemaker", "normal", 2, "\"implants\": [\"pacemaker\"]", NULL, PC_PLAN_MODIFIED, "dddddsd",
     "hf_pacemaker"},
    {"electronic implant", "normal", 2, "\"implants\": [\"insulin pump\"]", NULL, PC_PLAN_MODIFIED,
     "dddddsd", "hf_electronic_implant"},
    {"metal in the area", "normal", 2, "\"implants\": [\"metal_in_treatment_area\"]", NULL,
     PC_PLAN_MODIFIED, "dddddsd", "hf_metal_implant"},
    {"heart condition", "normal", 2, "\"conditions\": [\"heart_condition\"]", NULL,
     PC_PLAN_MODIFIED, "dddddsd", "hf_heart_condition"},
    {"epilepsy", "normal", 2, "\"conditions\": [\"epilepsy\"]", NULL, PC_PLAN_MODIFIED, "dddddsd",
     "hf_epilepsy"},
    {"cancer", "normal", 2, "\"conditions\": [\"cancer\"]", NULL, PC_PLAN_MODIFIED, "dddddsd",
     "hf_cancer"},
    {"diabetes", "normal", 2, "\"conditions\": [\"diabetes\"]", NULL, PC_PLAN_OK, "ddddddd",
     "hf_diabetes"},
    {"thrombosis", "normal", 2, "\"conditions\": [\"thrombosis\"]", NULL, PC_PLAN_OK, "ddddddd",
     "hf_thrombosis"},
    /* mask */
    {"sensitive skin: calming mask", "sensitive", 2, "", NULL, PC_PLAN_OK, "ddddddd",
     "calming_mask_for_sensitive_skin short_steam_for_sensitive_skin"},
    {"allergy to a mask ingredient (unknown)", "normal", 2, "\"allergies\": [\"kaolin\"]", NULL,
     PC_PLAN_NEEDS_REVIEW, "ddddddd", "unrecognised_allergy"},
    /* combinations */
    {"pregnant + asthma + aspirin allergy", "oily", 2,
     "\"pregnant\": true, \"conditions\": [\"asthma\"], \"allergies\": [\"aspirin\"]", NULL,
     PC_PLAN_MODIFIED, "dmmddsd",
     "pregnancy_gentle aspirin_allergy_no_salicylic pregnancy_no_salicylic steam_asthma_distance "
     "hf_pregnancy"},
    {"brand name in odd case", "normal", 2,
     "\"medications\": [{\"name\": \"  aCcUtAnE \", \"last_taken\": \"2026-10-01\"}]", NULL,
     PC_PLAN_MODIFIED, "dddsddd", "isotretinoin_6_months"},
    {"brand name, no date = taking it now", "normal", 2,
     "\"medications\": [{\"name\": \"Roaccutane\"}]", NULL, PC_PLAN_MODIFIED, "dddsddd",
     "isotretinoin_6_months"},
    {"unknown medication", "normal", 2, "\"medications\": [{\"name\": \"Zorblax\"}]", NULL,
     PC_PLAN_NEEDS_REVIEW, "ddddddd", "unrecognised_medication"},
    {"unknown condition, implant, procedure", "normal", 2,
     "\"conditions\": [\"gout\"], \"implants\": [\"hip\"], \"recent_procedures\": [{\"kind\": "
     "\"microneedling\", \"date\": \"2026-11-01\"}]",
     NULL, PC_PLAN_NEEDS_REVIEW, "ddddddd",
     "unrecognised_condition unrecognised_implant unrecognised_procedure"},
    {"block beats review", "normal", 2,
     "\"conditions\": [\"fever\"], \"medications\": [{\"name\": \"Zorblax\"}]", NULL,
     PC_PLAN_BLOCKED, "sssssss", "fever unrecognised_medication"},
    {"review beats modified", "normal", 2,
     "\"implants\": [\"pacemaker\"], \"allergies\": [\"penicillin\"]", NULL, PC_PLAN_NEEDS_REVIEW,
     "dddddsd", "hf_pacemaker unrecognised_allergy"},
};

/* One hazard, every form in which an intake can record it (issue 16.2: an active sunburn got a
 * chemical peel because only "sunburn as a recent procedure" was screened). Each row is one
 * (hazard, form) pair; the hazard's consequence on its step must be the same in every form.
 * want: "skip" (the step is skipped), "caution" (a caution with `code`, the step not skipped), or
 * a fragment of the step's final parameters (the step is done with them). step "treatment"
 * means the whole-treatment reasons. salicylic_mask: built from a variant of the shipped protocol
 * whose default mask is the salicylic one (no personalisation picks it). */
typedef struct hazard_row {
    const char *hazard, *form;
    const char *skin;
    int fitz;
    const char *extra;
    const char *assessment;
    bool salicylic_mask;
    const char *step, *want, *code;
} hazard_row;

#define EXFOLIANT_OFF "\"method\":\"enzymatic\",\"agent\":\"enzyme\",\"strength_percent\":0"
#define SUNBURN_NOW "\"conditions\": [\"sunburn\"]"
#define SUNBURN_9_DAYS "\"recent_procedures\": [{\"kind\": \"sunburn\", \"date\": \"2026-11-20\"}]"

static const hazard_row hazards[] = {
    {"sunburn: chemical exfoliation", "condition", "oily", 2, SUNBURN_NOW, NULL, false, "exfoliate",
     EXFOLIANT_OFF, "sunburn_no_chemical_exfoliation"},
    {"sunburn: chemical exfoliation", "recent procedure", "oily", 2, SUNBURN_9_DAYS, NULL, false,
     "exfoliate", EXFOLIANT_OFF, "sunburn_2_weeks_exfoliation"},
    {"sunburn: steam", "condition", "oily", 2, SUNBURN_NOW, NULL, false, "steam", "skip",
     "steam_sunburn"},
    {"sunburn: steam", "recent procedure", "oily", 2, SUNBURN_9_DAYS, NULL, false, "steam", "skip",
     "steam_recent_sunburn"},
    {"sunburn: extraction", "condition", "oily", 2, SUNBURN_NOW, NULL, false, "extract", "skip",
     "extract_sunburn"},
    {"sunburn: extraction", "recent procedure", "oily", 2, SUNBURN_9_DAYS, NULL, false, "extract",
     "skip", "extract_recent_sunburn"},
    {"sunburn: high frequency", "condition", "oily", 2, SUNBURN_NOW, NULL, false, "high_frequency",
     "caution", "hf_sunburn"},
    {"sunburn: high frequency", "recent procedure", "oily", 2, SUNBURN_9_DAYS, NULL, false,
     "high_frequency", "caution", "hf_recent_sunburn"},
    {"PIH risk: chemical exfoliation", "Fitzpatrick type", "oily", 5, "", NULL, false, "exfoliate",
     "caution", "fitzpatrick_pih_exfoliation"},
    {"PIH risk: chemical exfoliation", "condition (tanned skin)", "oily", 2,
     "\"conditions\": [\"tan\"]", NULL, false, "exfoliate", "caution", "tanned_pih_exfoliation"},
    {"PIH risk: extraction", "Fitzpatrick type", "oily", 5, "", NULL, false, "extract", "caution",
     "extract_fitzpatrick_pih"},
    {"PIH risk: extraction", "condition (tanned skin)", "oily", 2,
     "\"conditions\": [\"tanned skin\"]", NULL, false, "extract", "caution", "extract_tanned_pih"},
    {"sensitive skin: clay mask", "skin type", "sensitive", 2, "", NULL, false, "mask",
     "\"type\":\"calming\"", "calming_mask_for_sensitive_skin"},
    {"sensitive skin: clay mask", "condition", "oily", 2,
     "\"conditions\": [\"very sensitive skin\"]", NULL, false, "mask", "\"type\":\"calming\"",
     "mask_very_sensitive_calming"},
    {"inflamed acne: extraction", "condition", "oily", 2, "\"conditions\": [\"cystic acne\"]", NULL,
     false, "extract", "skip", "inflamed_acne_refer"},
    {"inflamed acne: extraction", "assessment", "oily", 2, "",
     "{\"counts\": {\"blackhead\": 2, \"papule\": 5, \"pustule\": 3}}", false, "extract", "skip",
     "assessment_inflamed_refer"},
    {"salicylate allergy: BHA exfoliant", "allergy", "oily", 2, "\"allergies\": [\"Aspirin\"]",
     NULL, false, "exfoliate", EXFOLIANT_OFF, "aspirin_allergy_no_salicylic"},
    {"salicylate allergy: BHA exfoliant", "allergy written as a phrase", "oily", 2,
     "\"allergies\": [\"aspirin allergy\"]", NULL, false, "exfoliate", EXFOLIANT_OFF,
     "aspirin_allergy_no_salicylic"},
    {"salicylate allergy: salicylic mask", "allergy", "normal", 2,
     "\"allergies\": [\"salicylates\"]", NULL, true, "mask", "\"type\":\"clay\"",
     "aspirin_allergy_no_salicylic_mask"},
    {"salicylate allergy: salicylic mask", "allergy written as a phrase", "normal", 2,
     "\"allergies\": [\"Aspirin sensitivity\"]", NULL, true, "mask", "\"type\":\"clay\"",
     "aspirin_allergy_no_salicylic_mask"},
    {"pregnancy: gentler facial", "pregnant", "normal", 2, "\"pregnant\": true", NULL, false,
     "treatment", "caution", "pregnancy_gentle"},
    {"pregnancy: gentler facial", "condition", "normal", 2, "\"conditions\": [\"pregnant\"]", NULL,
     false, "treatment", "caution", "pregnancy_condition_gentle"},
    {"pregnancy: BHA exfoliant", "pregnant", "oily", 2, "\"pregnant\": true", NULL, false,
     "exfoliate", EXFOLIANT_OFF, "pregnancy_no_salicylic"},
    {"pregnancy: BHA exfoliant", "condition", "oily", 2, "\"conditions\": [\"pregnancy\"]", NULL,
     false, "exfoliate", EXFOLIANT_OFF, "pregnancy_condition_no_salicylic"},
    {"pregnancy: salicylic mask", "pregnant", "normal", 2, "\"pregnant\": true", NULL, true, "mask",
     "\"type\":\"clay\"", "pregnancy_no_salicylic_mask"},
    {"pregnancy: salicylic mask", "condition", "normal", 2, "\"conditions\": [\"pregnancy\"]", NULL,
     true, "mask", "\"type\":\"clay\"", "pregnancy_condition_no_salicylic_mask"},
    {"pregnancy: high frequency", "pregnant", "normal", 2, "\"pregnant\": true", NULL, false,
     "high_frequency", "skip", "hf_pregnancy"},
    {"pregnancy: high frequency", "condition", "normal", 2, "\"conditions\": [\"pregnancy\"]", NULL,
     false, "high_frequency", "skip", "hf_pregnancy_condition"},
    {"breastfeeding: BHA exfoliant", "breastfeeding", "oily", 2, "\"breastfeeding\": true", NULL,
     false, "exfoliate", EXFOLIANT_OFF, "breastfeeding_no_salicylic"},
    {"breastfeeding: BHA exfoliant", "condition", "oily", 2, "\"conditions\": [\"nursing\"]", NULL,
     false, "exfoliate", EXFOLIANT_OFF, "breastfeeding_condition_no_salicylic"},
    {"breastfeeding: salicylic mask", "breastfeeding", "normal", 2, "\"breastfeeding\": true", NULL,
     true, "mask", "\"type\":\"clay\"", "breastfeeding_no_salicylic_mask"},
    {"breastfeeding: salicylic mask", "condition", "normal", 2,
     "\"conditions\": [\"breastfeeding\"]", NULL, true, "mask", "\"type\":\"clay\"",
     "breastfeeding_condition_no_salicylic_mask"},
    {"isotretinoin: salicylic acid product", "medication (BHA exfoliant)", "oily", 2,
     "\"medications\": [{\"name\": \"Accutane\"}]", NULL, false, "exfoliate", EXFOLIANT_OFF,
     "isotretinoin_no_chemical_exfoliation"},
    {"isotretinoin: salicylic acid product", "medication (salicylic mask)", "normal", 2,
     "\"medications\": [{\"name\": \"Accutane\"}]", NULL, true, "mask", "\"type\":\"clay\"",
     "isotretinoin_no_salicylic_mask"},
    {"respiratory allergy: steam distance", "condition (asthma)", "normal", 2,
     "\"conditions\": [\"asthma\"]", NULL, false, "steam", "\"distance_cm\":90,\"kind\":\"plain\"",
     "steam_asthma_distance"},
    {"respiratory allergy: steam distance", "condition (hay fever)", "normal", 2,
     "\"conditions\": [\"hay fever\"]", NULL, false, "steam",
     "\"distance_cm\":90,\"kind\":\"plain\"", "steam_asthma_distance"},
    {"respiratory allergy: steam distance", "allergy", "normal", 2, "\"allergies\": [\"pollen\"]",
     NULL, false, "steam", "\"distance_cm\":90,\"kind\":\"plain\"",
     "steam_respiratory_allergy_distance"},
    {"respiratory allergy: ozone of direct high frequency", "condition (asthma)", "normal", 2,
     "\"conditions\": [\"asthma\"]", NULL, false, "high_frequency", "\"method\":\"indirect\"",
     "hf_asthma_ozone"},
    {"respiratory allergy: ozone of direct high frequency", "allergy", "normal", 2,
     "\"allergies\": [\"house dust mite\"]", NULL, false, "high_frequency",
     "\"method\":\"indirect\"", "hf_respiratory_allergy_ozone"},
    {"Botox: chemical exfoliation", "recent procedure", "oily", 2,
     "\"recent_procedures\": [{\"kind\": \"botox\", \"date\": \"2026-11-15\"}]", NULL, false,
     "exfoliate", EXFOLIANT_OFF, "botox_4_weeks"},
    {"Botox: chemical exfoliation", "medication", "oily", 2,
     "\"medications\": [{\"name\": \"Botox\", \"last_taken\": \"2026-11-15\"}]", NULL, false,
     "exfoliate", EXFOLIANT_OFF, "botox_injection_4_weeks"},
    {"home acids: chemical exfoliation", "medication (AHA)", "oily", 2,
     "\"medications\": [{\"name\": \"glycolic acid\"}]", NULL, false, "exfoliate", EXFOLIANT_OFF,
     "topical_acid_5_days"},
    {"home acids: chemical exfoliation", "medication (BHA)", "oily", 2,
     "\"medications\": [{\"name\": \"salicylic acid\"}]", NULL, false, "exfoliate", EXFOLIANT_OFF,
     "topical_acid_5_days"},
    {"pacemaker: high frequency", "implant", "normal", 2, "\"implants\": [\"pacemaker\"]", NULL,
     false, "high_frequency", "skip", "hf_pacemaker"},
    {"pacemaker: high frequency", "condition", "normal", 2, "\"conditions\": [\"pacemaker\"]", NULL,
     false, "high_frequency", "skip", "hf_pacemaker_condition"},
    {"electronic implant: high frequency", "implant", "normal", 2,
     "\"implants\": [\"insulin pump\"]", NULL, false, "high_frequency", "skip",
     "hf_electronic_implant"},
    {"electronic implant: high frequency", "condition", "normal", 2,
     "\"conditions\": [\"defibrillator\"]", NULL, false, "high_frequency", "skip",
     "hf_electronic_implant_condition"},
    {"metal in the area: high frequency", "implant", "normal", 2, "\"implants\": [\"metal plate\"]",
     NULL, false, "high_frequency", "skip", "hf_metal_implant"},
    {"metal in the area: high frequency", "condition", "normal", 2,
     "\"conditions\": [\"metal pins\"]", NULL, false, "high_frequency", "skip",
     "hf_metal_implant_condition"},
};

static bool plan_has_code(const pc_plan *plan, const char *code, size_t len)
{
    for (size_t i = 0; i < pc_plan_reason_count(plan); i++) {
        const char *c = pc_plan_reason(plan, i)->code;
        if (strlen(c) == len && memcmp(c, code, len) == 0) return true;
    }
    for (size_t s = 0; s < pc_plan_step_count(plan); s++) {
        pc_plan_step st;
        assert_true(pc_plan_get_step(plan, s, &st));
        for (size_t i = 0; i < st.n_reasons; i++)
            if (strlen(st.reasons[i].code) == len && memcmp(st.reasons[i].code, code, len) == 0)
                return true;
    }
    return false;
}

static void test_contraindication_table(void **state)
{
    (void)state;
    char intake[2048];
    int failures = 0;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const row *w = &rows[r];
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_plan *plan = NULL;
        make_intake(intake, sizeof intake, w->skin, w->fitz, w->extra);
        int rc = pc_plan_build(&ctx, proto, intake, strlen(intake), w->assessment,
                               w->assessment ? strlen(w->assessment) : 0, &plan);
        if (rc) {
            print_error("row \"%s\": build failed: %s\n", w->name, pc_errmsg(&ctx));
            failures++;
            continue;
        }
        char actions[16] = {0};
        for (size_t s = 0; s < pc_plan_step_count(plan) && s < 15; s++) {
            pc_plan_step st;
            pc_plan_get_step(plan, s, &st);
            actions[s] = st.action == PC_ACTION_DO       ? 'd'
                         : st.action == PC_ACTION_MODIFY ? 'm'
                                                         : 's';
        }
        if (pc_plan_get_status(plan) != w->status) {
            print_error("row \"%s\": status %s, want %s\n", w->name,
                        pc_plan_status_name(pc_plan_get_status(plan)),
                        pc_plan_status_name(w->status));
            failures++;
        }
        if (strcmp(actions, w->actions) != 0) {
            print_error("row \"%s\": actions %s, want %s\n", w->name, actions, w->actions);
            failures++;
        }
        for (const char *c = w->codes; *c;) {
            size_t n = strcspn(c, " ");
            if (!plan_has_code(plan, c, n)) {
                print_error("row \"%s\": reason code %.*s missing\n", w->name, (int)n, c);
                failures++;
            }
            c += n;
            while (*c == ' ')
                c++;
        }
        pc_plan_free(plan);
    }
    assert_int_equal(failures, 0);
}

static const pc_reason *find_reason(size_t n, const pc_reason *v, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].code, code) == 0) return &v[i];
    return NULL;
}

static void test_hazard_in_every_form(void **state)
{
    (void)state;
    char intake[2048];
    int failures = 0;
    for (size_t r = 0; r < sizeof hazards / sizeof hazards[0]; r++) {
        const hazard_row *w = &hazards[r];
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_plan *plan = NULL;
        make_intake(intake, sizeof intake, w->skin, w->fitz, w->extra);
        if (pc_plan_build(&ctx, w->salicylic_mask ? proto_salicylic_mask : proto, intake,
                          strlen(intake), w->assessment, w->assessment ? strlen(w->assessment) : 0,
                          &plan)) {
            print_error("%s, as %s: build failed: %s\n", w->hazard, w->form, pc_errmsg(&ctx));
            failures++;
            continue;
        }
        const pc_reason *why = NULL;
        bool ok;
        if (strcmp(w->step, "treatment") == 0) {
            size_t n = pc_plan_reason_count(plan);
            for (size_t i = 0; i < n && !why; i++)
                if (strcmp(pc_plan_reason(plan, i)->code, w->code) == 0)
                    why = pc_plan_reason(plan, i);
            ok = why && strcmp(why->effect, w->want) == 0;
        } else {
            pc_plan_step st = {0};
            for (size_t s = 0; s < pc_plan_step_count(plan); s++) {
                pc_plan_get_step(plan, s, &st);
                if (strcmp(st.step, w->step) == 0) break;
            }
            why = find_reason(st.n_reasons, st.reasons, w->code);
            if (strcmp(w->want, "skip") == 0)
                ok = st.action == PC_ACTION_SKIP && why && strcmp(why->effect, "skip") == 0;
            else if (strcmp(w->want, "caution") == 0)
                ok = st.action != PC_ACTION_SKIP && why && strcmp(why->effect, "caution") == 0;
            else
                ok = st.action != PC_ACTION_SKIP && why && strstr(st.params_json, w->want);
            if (!ok)
                print_error("%s, as %s: %s is %s %s, reason %s %s; want %s\n", w->hazard, w->form,
                            w->step, pc_step_action_name(st.action),
                            st.params_json ? st.params_json : "?", w->code,
                            why ? why->effect : "absent", w->want);
        }
        if (!ok) failures++;
        pc_plan_free(plan);
    }
    /* a hazard listed in one form only would not say anything about the others */
    for (size_t r = 0; r < sizeof hazards / sizeof hazards[0]; r++) {
        size_t forms = 0;
        for (size_t k = 0; k < sizeof hazards / sizeof hazards[0]; k++)
            if (strcmp(hazards[k].hazard, hazards[r].hazard) == 0) forms++;
        if (forms < 2) {
            print_error("hazard \"%s\" is listed in one form only\n", hazards[r].hazard);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Every contraindication rule of the shipped protocol is exercised by some row. */
static void test_every_rule_has_a_row(void **state)
{
    (void)state;
    char *json = NULL;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    FILE *f = fopen("data/protocol.json", "rb");
    assert_non_null(f);
    static char text[1 << 18];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    int missing = 0;
    for (const char *p = strstr(text, "\"code\": \""); p; p = strstr(p + 1, "\"code\": \"")) {
        const char *c = p + 9;
        size_t len = strcspn(c, "\"");
        bool found = false;
        for (size_t r = 0; r < sizeof rows / sizeof rows[0] && !found; r++) {
            for (const char *k = rows[r].codes; *k;) {
                size_t m = strcspn(k, " ");
                if (m == len && memcmp(k, c, len) == 0) found = true;
                k += m;
                while (*k == ' ')
                    k++;
            }
        }
        for (size_t r = 0; r < sizeof hazards / sizeof hazards[0] && !found; r++)
            if (strlen(hazards[r].code) == len && memcmp(hazards[r].code, c, len) == 0)
                found = true;
        if (!found) {
            print_error("rule %.*s has no table row\n", (int)len, c);
            missing++;
        }
    }
    free(json);
    assert_int_equal(missing, 0);
}

static void test_certifications(void **state)
{
    (void)state;
    static const struct {
        const char *skin, *extra, *certs;
    } rows2[] = {
        {"oily", "", "chemical_exfoliation extraction high_frequency"},
        {"normal", "", "extraction high_frequency"},
        {"normal", "\"implants\": [\"pacemaker\"]", "extraction"},
        {"oily", "\"allergies\": [\"aspirin\"], \"conditions\": [\"inflamed_pustular_acne\"]",
         "high_frequency"},
        {"normal", "\"conditions\": [\"fever\"]", ""},
    };
    char intake[1024], got[256];
    for (size_t r = 0; r < sizeof rows2 / sizeof rows2[0]; r++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_plan *plan = NULL;
        make_intake(intake, sizeof intake, rows2[r].skin, 3, rows2[r].extra);
        assert_int_equal(pc_plan_build(&ctx, proto, intake, strlen(intake), NULL, 0, &plan), PC_OK);
        got[0] = '\0';
        for (size_t i = 0; i < pc_plan_certification_count(plan); i++) {
            size_t l = strlen(got);
            snprintf(got + l, sizeof got - l, "%s%s", i ? " " : "", pc_plan_certification(plan, i));
        }
        assert_string_equal(got, rows2[r].certs);
        /* per step: the extraction step names its certification unless skipped */
        pc_plan_step st;
        assert_true(pc_plan_get_step(plan, 3, &st));
        assert_string_equal(st.step, "extract");
        if (st.action == PC_ACTION_SKIP)
            assert_null(st.certification);
        else
            assert_string_equal(st.certification, "extraction");
        pc_plan_free(plan);
    }
}

static void test_malformed_intake(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int status;
        const char *msg;
    } bad[] = {
        {"not json", PC_ERR_FORMAT, "line 1, column 3"},
        {"[]", PC_ERR_INVALID, "$: the intake must be a JSON object"},
        {"{\"visit_date\": \"2026-11-29\"}", PC_ERR_INVALID, "$.client: missing"},
        {"{\"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}}", PC_ERR_INVALID,
         "$.visit_date: missing"},
        {"{\"visit_date\": \"2026-02-30\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}}",
         PC_ERR_INVALID, "$.visit_date: bad date"},
        {"{\"visit_date\": 20261129, \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}}",
         PC_ERR_INVALID, "$.visit_date: must be a string"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": \"a\"}", PC_ERR_INVALID,
         "$.client: must be an object"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"skin_type\": \"oily\"}}", PC_ERR_INVALID,
         "$.client.id: missing"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"\", \"skin_type\": \"oily\"}}",
         PC_ERR_INVALID, "$.client.id: must be 1 to 200"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"greasy\"}}",
         PC_ERR_INVALID, "$.client.skin_type: \"greasy\" is not"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\", "
         "\"fitzpatrick\": 7}}",
         PC_ERR_INVALID, "$.client.fitzpatrick: must be an integer 1..6"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\", "
         "\"fitzpatrick\": 0}}",
         PC_ERR_INVALID, "$.client.fitzpatrick: must be an integer 1..6"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\", "
         "\"fitzpatrick\": \"3\"}}",
         PC_ERR_INVALID, "$.client.fitzpatrick: must be an integer 1..6"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\", "
         "\"birth_date\": \"2030-01-01\"}}",
         PC_ERR_INVALID, "$.client.birth_date: after visit_date"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\", "
         "\"age\": 3}}",
         PC_ERR_INVALID, "$.client.age: unknown field"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"conditions\": \"rosacea\"}",
         PC_ERR_INVALID, "$.conditions: must be an array"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"conditions\": [\"a\", 1]}",
         PC_ERR_INVALID, "$.conditions[1]: must be a string"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"pregnant\": \"yes\"}",
         PC_ERR_INVALID, "$.pregnant: must be true or false"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"medications\": [\"tretinoin\"]}",
         PC_ERR_INVALID, "$.medications[0]: must be an object"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"medications\": [{\"last_taken\": \"2026-01-01\"}]}",
         PC_ERR_INVALID, "$.medications[0].name: missing"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"medications\": [{\"name\": \"x\", \"last_taken\": \"yesterday\"}]}",
         PC_ERR_INVALID, "$.medications[0].last_taken: bad date"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"medications\": [{\"name\": \"x\", \"last_taken\": \"2026-12-01\"}]}",
         PC_ERR_INVALID, "$.medications[0].last_taken: after visit_date"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"recent_procedures\": [{\"kind\": \"botox\"}]}",
         PC_ERR_INVALID, "$.recent_procedures[0].date: missing"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"recent_procedures\": [{\"kind\": \"botox\", \"date\": \"2026-11-29\", \"by\": \"x\"}]}",
         PC_ERR_INVALID, "$.recent_procedures[0].by: unknown field"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"allergy\": []}",
         PC_ERR_INVALID, "$.allergy: unknown field"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\\u001b[31m\", \"skin_type\": "
         "\"oily\"}}",
         PC_ERR_INVALID, "$.client.id: contains a control character"},
        {"{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
         "\"conditions\": [\"x\\ny\"]}",
         PC_ERR_INVALID, "$.conditions[0]: contains a control character"},
        {"{\"visit_date\": \"2026-11-29\", \"visit_date\": \"2026-11-30\", \"client\": {\"id\": "
         "\"a\", \"skin_type\": \"oily\"}}",
         PC_ERR_FORMAT, "duplicate object key"},
    };
    for (size_t r = 0; r < sizeof bad / sizeof bad[0]; r++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_plan *plan = (pc_plan *)&ctx; /* must stay untouched */
        int rc = pc_plan_build(&ctx, proto, bad[r].text, strlen(bad[r].text), NULL, 0, &plan);
        if (rc != bad[r].status || !strstr(pc_errmsg(&ctx), bad[r].msg))
            print_error("intake %zu: got %d \"%s\", want %d \"%s\"\n", r, rc, pc_errmsg(&ctx),
                        bad[r].status, bad[r].msg);
        assert_int_equal(rc, bad[r].status);
        assert_non_null(strstr(pc_errmsg(&ctx), bad[r].msg));
        assert_ptr_equal(plan, (pc_plan *)&ctx);
    }
}

static void test_malformed_assessment(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"{", "assessment: line 1"},
        {"{\"grade\": 1}", "assessment: $.counts: missing"},
        {"{\"counts\": {\"papule\": -1}}", "assessment: $.counts.papule: must be a count"},
        {"{\"counts\": {\"pustule\": 1.5}}", "assessment: $.counts.pustule: must be a count"},
    };
    const char *intake =
        "{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}}";
    for (size_t r = 0; r < sizeof bad / sizeof bad[0]; r++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_plan *plan = NULL;
        assert_int_not_equal(pc_plan_build(&ctx, proto, intake, strlen(intake), bad[r].text,
                                           strlen(bad[r].text), &plan),
                             PC_OK);
        assert_null(plan);
        if (!strstr(pc_errmsg(&ctx), bad[r].msg))
            print_error("assessment %zu: %s\n", r, pc_errmsg(&ctx));
        assert_non_null(strstr(pc_errmsg(&ctx), bad[r].msg));
    }
}

/* A small protocol whose layout fixes every line and column. */
static const char mini[] =
    "{\n"                                                            /* 1 */
    "  \"format\": \"poreclear-protocol\", \"format_version\": 1,\n" /* 2 */
    "  \"name\": \"t\", \"version\": \"1\",\n"                       /* 3 */
    "  \"order\": [\"cleanse\", \"steam\"],\n"                       /* 4 */
    "  \"steps\": {\n"                                               /* 5 */
    "    \"cleanse\": { \"params\": { \"duration_min\": { \"default\": 10, \"min\": 5, \"max\": "
    "15, \"source\": \"s\" } } },\n" /* 6 */
    "    \"steam\": { \"params\": { \"distance_cm\": { \"default\": 60, \"min\": 45, \"max\": 120, "
    "\"source\": \"s\" } } }\n"                                                          /* 7 */
    "  },\n"                                                                             /* 8 */
    "  \"vocabulary\": { \"conditions\": { \"asthma\": [\"Respiratory Allergy\"] } },\n" /* 9 */
    "  \"rules\": [\n"                                                                   /* 10 */
    "    { \"when\": { \"condition\": \"asthma\" }, \"effect\": \"modify\", \"scope\": \"steam\", "
    "\"set\": { \"distance_cm\": 90 },\n"                             /* 11 */
    "      \"code\": \"a\", \"reason\": \"r\", \"source\": \"s\" }\n" /* 12 */
    "  ]\n"                                                           /* 13 */
    "}\n";

static void test_protocol_loader_errors(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to; /* replace the first `from` in mini by `to` */
        int status;
        const char *msg;
    } rows3[] = {
        {"\"name\": \"t\",", "\"name\": \"t\"", PC_ERR_FORMAT, "t.json:3:"},
        {"[\"cleanse\", \"steam\"]", "[\"cleanse\", \"stem\"]", PC_ERR_INVALID,
         "t.json:4:24: unknown step \"stem\""},
        {"\"min\": 5, \"max\": 15", "\"min\": 50, \"max\": 15", PC_ERR_INVALID,
         "t.json:6:70: bad range"},
        {"\"default\": 10", "\"default\": 20", PC_ERR_INVALID,
         "t.json:6:59: default 20 outside the range 5..15"},
        {"\"effect\": \"modify\"", "\"effect\": \"remove\"", PC_ERR_INVALID,
         "t.json:11:52: unknown effect \"remove\""},
        {"\"scope\": \"steam\"", "\"scope\": \"sauna\"", PC_ERR_INVALID,
         "t.json:11:71: unknown step \"sauna\""},
        {"\"distance_cm\": 90", "\"distance_cm\": 200", PC_ERR_INVALID,
         "t.json:11:104: 200 outside the allowed range 45..120"},
        {"\"condition\": \"asthma\"", "\"condition\": \"asthmaa\"", PC_ERR_INVALID,
         "t.json:11:30: unknown condition \"asthmaa\""},
        {"\"effect\": \"modify\", \"scope\": \"steam\", \"set\": { \"distance_cm\": 90 }",
         "\"effect\": \"block\", \"scope\": \"steam\"", PC_ERR_INVALID,
         "t.json:11:70: \"block\" stops the whole treatment"},
        {", \"reason\": \"r\"", "", PC_ERR_INVALID, "t.json:11:5: missing \"reason\""},
        {"\"format_version\": 1", "\"format_version\": 2", PC_ERR_FORMAT,
         "t.json:2:53: \"format_version\" must be 1"},
        {"\"name\": \"t\",", "\"name\": \"t\", \"colour\": 1,", PC_ERR_INVALID,
         "t.json:3:26: unknown field \"colour\""},
        {"\"steam\": { \"params\"", "\"sauna\": { \"params\"", PC_ERR_INVALID,
         "unknown step \"steam\" (not in $.steps)"},
        {"\"set\": { \"distance_cm\": 90 }", "\"set\": { \"distance\": 90 }", PC_ERR_INVALID,
         "t.json:11:101: step \"steam\" has no parameter \"distance\""},
        {"\"set\": { \"distance_cm\": 90 }", "\"set\": { \"distance_cm\": \"far\" }",
         PC_ERR_INVALID, "takes a number"},
        {"\"default\": 10,", "\"default\": \"x\",", PC_ERR_INVALID,
         "t.json:6:46: a choice parameter has no \"min\"/\"max\""},
        {"\"code\": \"a\"", "\"code\": \"A b\"", PC_ERR_INVALID, "t.json:12:15: a code must be"},
        {"  \"rules\": [",
         "  \"allergens\": { \"pollen\": { \"ingredients\": [\"x\"], \"reason\": \"r\", "
         "\"source\": \"s\" } },\n  \"rules\": [",
         PC_ERR_INVALID, "unknown allergy \"pollen\""},
        {"\"version\": \"1\",", "\"version\": \"1\", \"sources\": {\"S-1\": \"a book\"},",
         PC_ERR_INVALID, "t.json:6:94: \"s\" cites no key of $.sources"},
        {"\"effect\": \"modify\", \"scope\": \"steam\", \"set\": { \"distance_cm\": 90 }",
         "\"effect\": \"caution\", \"scope\": \"treatment\", \"if_params\": { \"distance_cm\": 90 "
         "}",
         PC_ERR_INVALID, "\"if_params\" belongs to a \"modify\" rule or a step's \"caution\""},
    };
    char text[4096];
    int failures = 0;
    for (size_t r = 0; r < sizeof rows3 / sizeof rows3[0]; r++) {
        const char *at = strstr(mini, rows3[r].from);
        assert_non_null(at);
        size_t pre = (size_t)(at - mini);
        snprintf(text, sizeof text, "%.*s%s%s", (int)pre, mini, rows3[r].to,
                 at + strlen(rows3[r].from));
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_protocol *p = NULL;
        int rc = pc_protocol_load_text(&ctx, text, strlen(text), "t.json", &p);
        if (rc != rows3[r].status || !strstr(pc_errmsg(&ctx), rows3[r].msg))
            print_error("protocol row %zu: got %d \"%s\", want %d \"%s\"\n", r, rc, pc_errmsg(&ctx),
                        rows3[r].status, rows3[r].msg);
        if (rc != rows3[r].status || !strstr(pc_errmsg(&ctx), rows3[r].msg)) failures++;
        assert_null(p);
    }
    assert_int_equal(failures, 0);
    /* and the untouched mini protocol loads, with its alias normalised */
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_protocol *p = NULL;
    assert_int_equal(pc_protocol_load_text(&ctx, mini, strlen(mini), "t.json", &p), PC_OK);
    assert_int_equal(pc_protocol_step_count(p), 2);
    assert_string_equal(pc_protocol_step_name(p, 1), "steam");
    const char *intake =
        "{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"dry\"}, "
        "\"conditions\": [\"respiratory-allergy\"]}";
    pc_plan *plan = NULL;
    assert_int_equal(pc_plan_build(&ctx, p, intake, strlen(intake), NULL, 0, &plan), PC_OK);
    pc_protocol_free(p); /* the plan outlives its protocol */
    pc_plan_step st;
    assert_true(pc_plan_get_step(plan, 1, &st));
    assert_int_equal(st.action, PC_ACTION_MODIFY);
    assert_string_equal(st.params_json, "{\"distance_cm\":90}");
    pc_plan_free(plan);
}

/* Reordering the steps in the file reorders the plan (a clinic's setting). */
static void test_order_is_a_setting(void **state)
{
    (void)state;
    FILE *f = fopen("data/protocol.json", "rb");
    assert_non_null(f);
    static char text[1 << 18];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *from = "\"extract\", \"mask\", \"high_frequency\"";
    char *at = strstr(text, from);
    assert_non_null(at);
    memcpy(at, "\"extract\", \"high_frequency\", \"mask\"", strlen(from)); /* same length */
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_protocol *p = NULL;
    assert_int_equal(pc_protocol_load_text(&ctx, text, n, "spa.json", &p), PC_OK);
    assert_string_equal(pc_protocol_step_name(p, 4), "high_frequency");
    assert_string_equal(pc_protocol_step_name(p, 5), "mask");
    pc_protocol_free(p);
}

static void test_plan_json_and_text(void **state)
{
    (void)state;
    char intake[1024], *json = NULL, *text = NULL;
    make_intake(intake, sizeof intake, "oily", 3, "\"medications\": [{\"name\": \"Zorblax\"}]");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_plan *plan = NULL;
    assert_int_equal(pc_plan_build(&ctx, proto, intake, strlen(intake), NULL, 0, &plan), PC_OK);
    assert_int_equal(pc_plan_to_json(&ctx, plan, 0, &json), PC_OK);
    assert_non_null(strstr(json, "\"status\":\"needs_review\""));
    assert_non_null(strstr(json, "\"visit_date\":\"2026-11-29\""));
    assert_non_null(strstr(json, "\"skin_type\":\"oily\""));
    assert_non_null(strstr(json, "\"unrecognised\":[{\"list\":\"medications\",\"field\":\"$."
                                 "medications[0].name\",\"value\":\"Zorblax\"}]"));
    assert_non_null(strstr(
        json, "\"certifications\":[\"chemical_exfoliation\",\"extraction\",\"high_frequency\"]"));
    assert_int_equal(pc_plan_to_text(&ctx, plan, &text), PC_OK);
    assert_non_null(strstr(text, "NEEDS REVIEW"));
    assert_non_null(strstr(text, "Zorblax"));
    assert_non_null(
        strstr(text, "Certifications required: chemical_exfoliation, extraction, high_frequency"));
    free(json);
    free(text);
    pc_plan_free(plan);
}

/* The reasons are true to the final plan (issue 17.3): a personalisation none of whose values
 * survived is not shown; a skipped step shows only why; a caution about acids is not shown
 * when no acid is used; every reason cites a source key whose full citation is in the plan. */
static pc_plan *plan_for(const char *skin, int fitz, const char *extra)
{
    char intake[1024];
    make_intake(intake, sizeof intake, skin, fitz, extra);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_plan *plan = NULL;
    if (pc_plan_build(&ctx, proto, intake, strlen(intake), NULL, 0, &plan))
        print_error("%s\n", pc_errmsg(&ctx));
    assert_non_null(plan);
    return plan;
}

static pc_plan_step step_of(const pc_plan *plan, const char *name)
{
    pc_plan_step st = {0};
    for (size_t s = 0; s < pc_plan_step_count(plan); s++) {
        assert_true(pc_plan_get_step(plan, s, &st));
        if (strcmp(st.step, name) == 0) return st;
    }
    fail_msg("no step %s", name);
    return st;
}

static void test_reasons_match_the_final_plan(void **state)
{
    (void)state;
    /* isotretinoin, oily, Fitzpatrick IV (the demo client) */
    pc_plan *plan =
        plan_for("oily", 4,
                 "\"medications\": [{\"name\": \"isotretinoin\", \"last_taken\": \"2026-09-30\"}]");
    pc_plan_step ex = step_of(plan, "exfoliate");
    assert_non_null(strstr(ex.params_json, "\"method\":\"enzymatic\""));
    assert_null(find_reason(ex.n_reasons, ex.reasons, "bha_for_oily_skin"));           /* undone */
    assert_null(find_reason(ex.n_reasons, ex.reasons, "fitzpatrick_pih_exfoliation")); /* no acid */
    assert_non_null(find_reason(ex.n_reasons, ex.reasons, "isotretinoin_no_chemical_exfoliation"));
    pc_plan_step xt = step_of(plan, "extract");
    assert_int_equal(xt.action, PC_ACTION_SKIP);
    assert_int_equal(xt.n_reasons, 1); /* only why: no "light pressure" on a step not done */
    assert_string_equal(xt.reasons[0].code, "isotretinoin_6_months");
    assert_true(xt.core);
    assert_int_equal(pc_plan_get_weight(plan), PC_WEIGHT_CORE_LOST);
    pc_plan_step hf = step_of(plan, "high_frequency"); /* a personalisation that stands is shown */
    assert_string_equal(hf.reasons[0].code, "argon_for_oily_skin");
    assert_string_equal(hf.reasons[0].effect, "personalise");
    char *json = NULL;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_int_equal(pc_plan_to_json(&ctx, plan, 0, &json), PC_OK);
    assert_non_null(strstr(json, "\"weight\":\"core_lost\",\"lost\":[\"extract\"]"));
    assert_non_null(strstr(json, "\"cites\":[\"TM-iso\"]"));
    assert_null(strstr(json, "salicylic acid (BHA) 2 %"));
    free(json);
    char *text = NULL;
    assert_int_equal(pc_plan_to_text(&ctx, plan, &text), PC_OK);
    assert_non_null(strstr(text, "CORE STEP LEFT OUT"));
    assert_non_null(strstr(text, "  TM-iso: ")); /* the sheet explains every code it uses */
    assert_null(strstr(text, "light pressure"));
    free(text);
    pc_plan_free(plan);

    /* Fitzpatrick IV with a BHA exfoliation: the acid caution stands */
    plan = plan_for("oily", 4, "");
    ex = step_of(plan, "exfoliate");
    assert_non_null(find_reason(ex.n_reasons, ex.reasons, "fitzpatrick_pih_exfoliation"));
    assert_int_equal(pc_plan_get_weight(plan), PC_WEIGHT_NONE);
    pc_plan_free(plan);

    /* aspirin allergy: BHA undone, the steps all done: adapted */
    plan = plan_for("oily", 2, "\"allergies\": [\"aspirin\"]");
    ex = step_of(plan, "exfoliate");
    assert_int_equal(ex.n_reasons, 1);
    assert_string_equal(ex.reasons[0].code, "aspirin_allergy_no_salicylic");
    assert_int_equal(pc_plan_get_weight(plan), PC_WEIGHT_ADAPTED);
    pc_plan_free(plan);

    /* asthma, dry skin: neon stays (its personalisation still decides the gas), method changed */
    plan = plan_for("dry", 2, "\"conditions\": [\"asthma\"]");
    hf = step_of(plan, "high_frequency");
    assert_non_null(strstr(hf.params_json, "\"method\":\"indirect\",\"gas\":\"neon\""));
    assert_non_null(find_reason(hf.n_reasons, hf.reasons, "neon_for_dry_skin"));
    assert_non_null(find_reason(hf.n_reasons, hf.reasons, "hf_asthma_ozone"));
    pc_plan_free(plan);

    /* pacemaker: a step left out, not the core one */
    plan = plan_for("combination", 2,
                    "\"implants\": [\"pacemaker\"], \"conditions\": [\"heart_condition\"]");
    assert_int_equal(pc_plan_get_weight(plan), PC_WEIGHT_REDUCED);
    hf = step_of(plan, "high_frequency");
    for (size_t i = 0; i < hf.n_reasons; i++)
        assert_string_equal(hf.reasons[i].effect, "skip");
    pc_plan_free(plan);

    /* blocked: every step skipped, no step reasons (the why is the treatment's) */
    plan = plan_for("oily", 5, "\"conditions\": [\"fever\", \"rosacea\"]");
    assert_int_equal(pc_plan_get_weight(plan), PC_WEIGHT_BLOCKED);
    for (size_t s = 0; s < pc_plan_step_count(plan); s++) {
        pc_plan_step st;
        pc_plan_get_step(plan, s, &st);
        for (size_t i = 0; i < st.n_reasons; i++)
            assert_string_equal(st.reasons[i].effect, "skip");
    }
    pc_plan_free(plan);

    /* every reason of every table row cites a key of the plan's sources */
    char intake[2048];
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        make_intake(intake, sizeof intake, rows[r].skin, rows[r].fitz, rows[r].extra);
        plan = NULL;
        assert_int_equal(pc_plan_build(&ctx, proto, intake, strlen(intake), rows[r].assessment,
                                       rows[r].assessment ? strlen(rows[r].assessment) : 0, &plan),
                         PC_OK);
        assert_int_equal(pc_plan_to_json(&ctx, plan, 0, &json), PC_OK);
        if (strstr(json, "\"cites\":[]"))
            print_error("row \"%s\": a reason cites no source key: %s\n", rows[r].name, json);
        assert_null(strstr(json, "\"cites\":[]"));
        free(json);
        pc_plan_free(plan);
    }
}

/* A client's allergies with what they rule out on a label: the protocol's class (aspirin ->
 * salicylate -> Salicylic Acid, "salicyl"), or an unknown allergy's own name. */
static void test_intake_allergies(void **state)
{
    (void)state;
    char intake[1024];
    make_intake(intake, sizeof intake, "oily", 2,
                "\"allergies\": [\"Aspirin\", \"lanolin\", \"pollen\"]");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_allergy *a = NULL;
    size_t n = 0;
    assert_int_equal(pc_intake_allergies(&ctx, proto, intake, strlen(intake), &a, &n), PC_OK);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].name, "Aspirin");
    assert_string_equal(a[0].allergy_class, "salicylate");
    assert_string_equal(a[0].ingredients[0], "Salicylic Acid");
    assert_string_equal(a[0].name_contains[0], "salicyl");
    assert_non_null(a[0].source);
    assert_null(a[1].allergy_class); /* unknown to the protocol: its own name */
    assert_int_equal(a[1].n_ingredients, 1);
    assert_string_equal(a[1].ingredients[0], "lanolin");
    assert_string_equal(a[2].allergy_class, "respiratory_allergy"); /* known, no ingredient list */
    assert_int_equal(a[2].n_ingredients + a[2].n_contains, 0);
    pc_allergies_free(a, n);
    const char *bad = "{\"client\": {}}";
    assert_int_not_equal(pc_intake_allergies(&ctx, proto, bad, strlen(bad), &a, &n), PC_OK);
}

/* Many threads build plans from one protocol at once (run under ASan/TSan to be useful). */
static void *worker(void *arg)
{
    (void)arg;
    char intake[1024];
    make_intake(intake, sizeof intake, "oily", 4,
                "\"pregnant\": true, \"conditions\": [\"asthma\"], \"allergies\": [\"aspirin\"]");
    for (int i = 0; i < 200; i++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_plan *plan = NULL;
        char *json = NULL;
        if (pc_plan_build(&ctx, proto, intake, strlen(intake), NULL, 0, &plan) ||
            pc_plan_to_json(&ctx, plan, 0, &json) || pc_plan_get_status(plan) != PC_PLAN_MODIFIED) {
            pc_plan_free(plan);
            return (void *)1;
        }
        free(json);
        pc_plan_free(plan);
    }
    return NULL;
}

static void test_threads_share_protocol(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contraindication_table),
        cmocka_unit_test(test_hazard_in_every_form),
        cmocka_unit_test(test_every_rule_has_a_row),
        cmocka_unit_test(test_certifications),
        cmocka_unit_test(test_malformed_intake),
        cmocka_unit_test(test_malformed_assessment),
        cmocka_unit_test(test_protocol_loader_errors),
        cmocka_unit_test(test_order_is_a_setting),
        cmocka_unit_test(test_plan_json_and_text),
        cmocka_unit_test(test_reasons_match_the_final_plan),
        cmocka_unit_test(test_intake_allergies),
        cmocka_unit_test(test_threads_share_protocol),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
