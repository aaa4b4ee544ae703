/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the clinic's rules (lib/clinic/): who may do what (permissions by role), the
 * treatment session's workflow (the review gate, the consent — this client's, today's, used
 * once —, certification per step, skipped steps, one record per step, signing only when every
 * step is recorded, amendments only to signed sessions), account rules (user names,
 * passwords) and the audit entries of each change.
 *
 * The command and the web server call these and keep no rule of their own; the store
 * (store.h) keeps records and checks nothing a clinic decides. Each change runs in one store
 * transaction: the rows a rule judges, the change it allows and its audit entry are read and
 * written together.
 *
 * Refusals: a function refusing an action returns PC_ERR_DENIED (the actor may not: a role or
 * a certification) or PC_ERR_CONFLICT (the record's state does not allow it now), or
 * PC_ERR_NOTFOUND, with the reason in ctx and, when why is not NULL, *why set to a stable
 * machine code (a static string): "review_required", "stale_review", "consent_required",
 * "consent_missing", "certification_required", "step_order", "immutable", "incomplete",
 * "cancelled", "forbidden", "not_found", "password_required", "bad_credentials"; a refusal of
 * what was recorded is PC_ERR_INVALID with "reason_required", "out_of_range" or
 * "not_in_vocabulary". Other failures (PC_ERR_INVALID for bad values, store errors) leave *why
 * NULL. */
#ifndef PORECLEAR_CLINIC_H
#define PORECLEAR_CLINIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "protocol.h"
#include "store.h"

/* ---- permissions by role ---- */
typedef enum pc_clinic_action {
    PC_DO_OWN_ACCOUNT = 1, /* one's own login session and password */
    PC_DO_CLIENT_READ,     /* the client list and a client's details */
    PC_DO_CLIENT_WRITE,    /* add a client */
    PC_DO_INTAKE_READ,     /* intake versions */
    PC_DO_INTAKE_WRITE,    /* record an intake */
    PC_DO_PLAN,            /* today's plan, reviews */
    PC_DO_CONSENT,         /* record and read consents */
    PC_DO_SESSION,         /* start, run, sign and amend sessions, and read them */
    PC_DO_AFTERCARE_READ,  /* a session's aftercare handout and calendar */
    PC_DO_PHOTO,           /* photos, analyses, comparisons, progress */
    PC_DO_PRODUCT,         /* a client's checked products, a label checked for a client */
    PC_DO_INGREDIENT_CHECK,
    PC_DO_ADMIN,  /* users, the protocol in use, the audit log */
    PC_DO_EXPORT, /* a client's whole record */
    PC_DO_ERASE,  /* erase a client */
    PC_DO_ABOUT,  /* what this build is: its licence and notices */
    /* the appointment book (include/poreclear/booking.h, issue 11) */
    PC_DO_APPOINTMENT_READ,  /* the book: appointments, free slots, hours, absences */
    PC_DO_APPOINTMENT_WRITE, /* book, move, cancel, arrived / no-show, notes */
    PC_DO_SCHEDULE,          /* practitioners' working hours and absences */
    PC_DO_PRACTITIONER_LIST, /* the practitioners (id, name) to book with */
    PC_DO_FEED,              /* a practitioner's calendar feed (their own; an admin's: anyone's) */
    /* sites of a chain (lib/clinic/sites.c, issue 14.5) */
    PC_DO_SITE_READ,   /* the chain's sites (names, addresses, time zones) */
    PC_DO_SITE_ADMIN,  /* a site's users, settings and report: a site admin's own sites */
    PC_DO_CHAIN_ADMIN, /* new sites, the chain's settings, the audit log: chain admins only */
    PC_DO_ACTION_COUNT
} pc_clinic_action;

/* May a user of this role (pc_role) do this? False for unknown roles and actions. */
bool pc_clinic_allows(int role, pc_clinic_action action);
/* May this user do it: their role may, and the action is not one of the chain's (new sites, the
 * chain's settings, the audit log, erasing a chain-wide client) while the user belongs to
 * sites rather than the whole chain (a site admin). False for NULL and inactive users. */
bool pc_clinic_user_allows(const pc_user *u, pc_clinic_action action);

/* Reception's status view (lib/clinic/status.c, issue 16.5): an intake is current when it was
 * recorded on the visit day (both "YYYY-MM-DD", local); a consent is current when it is for
 * today and no session has used it yet. NULL arguments: false. */
bool pc_clinic_intake_current(const char *recorded_day, const char *today);
bool pc_clinic_consent_current(const pc_consent *c, const char *today);

/* The entries a new intake (next) drops from the previous one (prev_text: its stored JSON,
 * NULL when there is none) that confirm (an array of "LIST:item" strings, compared without
 * case; may be NULL) does not name: lists conditions, implants, allergies, medications, and
 * the flags pregnant / breastfeeding ("pregnant:true"). Returns a new array of
 * {"list","item"} (the caller decrefs), empty when nothing is dropped unconfirmed; NULL only
 * when out of memory. Issue 16.7: history is never lost by an omission on a form. */
json_t *pc_clinic_intake_removals(const char *prev_text, json_t *next, json_t *confirm);

/* ---- accounts ---- */
#define PC_PASSWORD_MIN 10  /* characters (bytes); NIST SP 800-63B asks for at least 8 */
#define PC_PASSWORD_MAX 256 /* bytes */
/* NULL when the new password meets the rules, else the reason ("must be at least ..."). */
const char *pc_password_weak(const char *password);
/* True for 1..PC_USERNAME_MAX of a-z 0-9 . _ - */
bool pc_username_valid(const char *name);
#define PC_PASSWORD_HASH_BYTES 128 /* crypto_pwhash_STRBYTES */
/* argon2id hash of password into out (at least PC_PASSWORD_HASH_BYTES). */
int pc_password_hash(pc_ctx *ctx, const char *password, char *out, size_t out_size);
/* Does password match hash? hash NULL (no such user): verified against a dummy hash so that
 * the answer takes as long, and false. */
bool pc_password_verify(const char *hash, const char *password);
/* A random one-time password of 16 characters from an unambiguous alphabet. */
int pc_password_random(pc_ctx *ctx, char out[17]);

/* ---- treatment sessions ---- */

/* May a session start on a plan of this status with review rv (NULL: none)? A blocked or
 * needs_review plan needs a review that proceeds, of this client's intake intake_id; a review
 * given for any plan must be such a review. PC_OK, or a refusal ("review_required",
 * "stale_review"). */
int pc_clinic_review_gate(pc_ctx *ctx, pc_plan_status status, const pc_review *rv,
                          int64_t client_id, int64_t intake_id, const char **why);

/* Record a review of the plan of the client's latest intake: r (client_id, intake_id, proceed,
 * plan_status: that of the plan built from intake_id, reason) by who at now; audited
 * "review.create". A review of an older intake is refused ("stale_review"). *out:
 * pc_store_review_clear. */
int pc_clinic_review_add(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_review *r,
                         int64_t now, pc_review *out, const char **why);

/* Record a consent: c (client_id, day, client_name, agreed_json: a JSON array of 1 to 16 item
 * names [a-z0-9_]{1,40} that includes "treatment", text) by who at now; audited
 * "consent.create". Bad items: PC_ERR_INVALID naming the item. *out: pc_store_consent_clear. */
int pc_clinic_consent_add(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_consent *c,
                          int64_t now, pc_consent *out, const char **why);

typedef struct pc_clinic_start {
    int64_t client_id;
    int64_t intake_id;         /* the intake version the plan was built from */
    int64_t consent_id;        /* today's consent of this client, not used by another session */
    int64_t review_id;         /* 0 when none */
    const char *implement_set; /* NULL or "" when not given */
    const char *today;         /* the clinic's date, "YYYY-MM-DD" */
    const pc_plan *plan;       /* today's plan, frozen into the session */
    int64_t appointment_id;    /* the appointment it is started from (the book), 0 when none */
    int64_t site_id;           /* where it takes place; 0: the appointment's site (when it is
                                * one of the user's), else pc_clinic_session_site chooses */
} pc_clinic_start;

/* Start a session: the review gate, the consent, the plan frozen step by step (each step's
 * action, certification and timer), audited "session.start". *id the new session. With an
 * appointment_id, that appointment goes into treatment and links to the session in the same
 * transaction (lib/booking's rule: a booked or arrived appointment of this client, else
 * "status" / "other_client" / "not_found"): both or neither. */
int pc_clinic_session_start(pc_ctx *ctx, pc_store *s, const pc_user *who,
                            const pc_clinic_start *req, int64_t now, int64_t *id, const char **why);

/* Start the timer of the step named step (a second start keeps the first time). Needs the
 * step's certification; refused on a skipped step or a signed session. */
int pc_clinic_step_start(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                         const char *step, int64_t now, const char **why);

/* The consent item that a session's frozen plan (plan_json) names for its step, into item (""
 * when the treatment consent covers it). */
void pc_clinic_consent_item(const char *plan_json, const char *step, char item[41]);

typedef struct pc_clinic_record {
    const char *outcome;          /* "done" or "not_done" */
    const char *actual_json;      /* the parameters as done (a JSON object text), NULL: {} */
    const char *notes;            /* NULL when none */
    const char *implement_batch;  /* NULL when none */
    const char *early_reason;     /* why a timed step ended early (see below), NULL when none */
    const char *deviation_reason; /* why values lie outside the protocol, NULL when none */
    const pc_protocol *protocol;  /* the protocol in use: its ranges and vocabulary */
} pc_clinic_record;

/* Ended early (issue 17.2): a step with a planned duration recorded done after less than
 * PC_CLINIC_EARLY_PERCENT % of it (server clock, from its start to its record), or never
 * started (nothing measured), is marked ended_early and needs early_reason. */
#define PC_CLINIC_EARLY_PERCENT 50
#define PC_CLINIC_REASON_MIN 5 /* characters (bytes) of any reason asked for */
/* Is a step of planned duration_s, started at started_at (0: never), recorded at now, ended
 * early? False for an untimed step (duration_s 0). */
bool pc_clinic_ended_early(int64_t duration_s, int64_t started_at, int64_t now);
/* The first second at which such a step is no longer early (0 when untimed or not started),
 * so that a page can ask for the reason before it sends the record. */
int64_t pc_clinic_early_until(int64_t duration_s, int64_t started_at);

/* The recorded values of step (actual: a JSON object) against the protocol (issue 17.10): each
 * member must be a parameter of the step, a number within its [min, max] or one of its
 * choices. Returns a new array (caller decrefs; empty when all fit; NULL only out of memory)
 * of {"field": "params.duration_min", "code": "out_of_range" | "not_in_vocabulary",
 * "value": ..., "min", "max" | "allowed": [...]} in the object's order. */
json_t *pc_clinic_param_deviations(const pc_protocol *proto, const char *step, json_t *actual);
/* What the protocol allows for each parameter of step: a new object {name: {"min", "max",
 * "default"} | {"choices": [...], "default"}} (caller decrefs; {} for an unknown step). */
json_t *pc_clinic_param_allowed(const pc_protocol *proto, const char *step);

/* Sign one step's record. "done" needs the step's certification ("not_done" does not, but
 * needs notes saying why, PC_ERR_INVALID without, and records no parameters); refused on a
 * skipped step, a step already recorded, a signed or cancelled session. "done" is refused
 * with PC_ERR_INVALID and why "reason_required" when the step ended early without an
 * early_reason of PC_CLINIC_REASON_MIN characters, and with why "out_of_range" /
 * "not_in_vocabulary" (the first deviation's code; the message names the field and what is
 * allowed) when a value lies outside the protocol without a deviation_reason — except a
 * duration under the minimum of a step that ended early with its reason, which that reason
 * explains. The record keeps ended_early, the reasons and the deviations. */
int pc_clinic_step_record(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                          const char *step, const pc_clinic_record *rec, int64_t now,
                          const char **why);

/* Sign the session, deliberately (21 CFR Part 11 §11.200: a signature re-entered at signing):
 * password is who's password again — NULL or "" is refused PC_ERR_DENIED "password_required",
 * a wrong one PC_ERR_DENIED "bad_credentials" (the caller counts it toward its login
 * throttle). Every step not skipped must be recorded ("incomplete" names the first that is
 * not); the rebooking date comes from the aftercare of the frozen plan. Immutable after;
 * a cancelled session cannot be signed ("cancelled"). */
int pc_clinic_session_sign(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                           const char *password, int64_t now, const char **why);

/* Cancel an open session with a reason (at least PC_CLINIC_REASON_MIN characters, else
 * PC_ERR_INVALID "reason_required"); audited "session.cancel". A signed session is refused
 * ("immutable"), a cancelled one too ("cancelled"). After it nothing of the session changes:
 * no step is started or recorded, it is not signed, nothing attaches to it. */
int pc_clinic_session_cancel(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                             const char *reason, int64_t now, const char **why);

/* Add an amendment to a signed session (an open session is corrected by recording its steps;
 * a cancelled one takes none: "cancelled"). *out: pc_store_amendment_clear. */
int pc_clinic_amend(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                    const char *text, int64_t now, pc_amendment *out, const char **why);

/* A late entry (issue 17.2): an amendment made after the session was signed — every amendment,
 * since only signed sessions take them — is marked late, with how long after the signature. */
bool pc_clinic_amendment_late(const pc_tsession *t, const pc_amendment *a);

/* ---- the clinic's profile (lib/clinic/settings.c, issue 17.7) ----
 * What the handout and the calendar say of the clinic: name, address, phone, time zone, logo.
 * Kept in the store's settings as "clinic.name", "clinic.address", "clinic.phone",
 * "clinic.time_zone", "clinic.logo"; an admin sets them (PC_DO_ADMIN), audited
 * "settings.update". Every member may be empty (not set). */
#define PC_CLINIC_NAME_MAX 200          /* characters */
#define PC_CLINIC_ADDRESS_MAX 400       /* characters; line breaks allowed */
#define PC_CLINIC_PHONE_MAX 32          /* bytes */
#define PC_CLINIC_LOGO_MAX (128u << 10) /* bytes of the PNG or JPEG file */
#define PC_CLINIC_LOGO_SIDE 2048        /* pixels, either side */
typedef struct pc_clinic_profile {
    char name[4 * PC_CLINIC_NAME_MAX + 1];
    char address[4 * PC_CLINIC_ADDRESS_MAX + 1];
    char phone[PC_CLINIC_PHONE_MAX + 1];
    char time_zone[64]; /* an IANA name found in the system's zoneinfo ("Europe/Madrid") */
    char *logo;         /* "data:image/png;base64,..." or image/jpeg; NULL: none; owned */
    int64_t updated_at; /* 0 when never set */
    int64_t updated_by; /* a user id, 0 when never set */
} pc_clinic_profile;
void pc_clinic_profile_clear(pc_clinic_profile *p); /* frees logo; NULL is fine */

/* Is name an IANA time zone of the system's zoneinfo ($TZDIR or /usr/share/zoneinfo): a path
 * of [A-Za-z0-9_+-] parts that names a TZif file there? "" and NULL: false. */
bool pc_clinic_time_zone_known(const char *name);
/* Is data_uri a "data:image/png;base64,..." or "data:image/jpeg;base64,..." URI whose bytes
 * (at most PC_CLINIC_LOGO_MAX) are an image of that type that decodes whole, at most
 * PC_CLINIC_LOGO_SIDE pixels a side? PC_OK, or PC_ERR_INVALID "logo: reason". */
int pc_clinic_logo_check(pc_ctx *ctx, const char *data_uri);
/* Check every member of p: sizes and characters (no control characters; the address may hold
 * line breaks), the time zone, the logo. PC_OK or PC_ERR_INVALID "member: reason". */
int pc_clinic_profile_check(pc_ctx *ctx, const pc_clinic_profile *p);
/* The profile as stored (members never set are empty). *out: pc_clinic_profile_clear. */
int pc_clinic_profile_get(pc_ctx *ctx, pc_store *s, pc_clinic_profile *out);
/* Replace the profile with p (checked as above; p->updated_* ignored) by who (an admin) at
 * now, and its audit entry naming the members that changed, in one transaction.
 * keep_logo: leave the stored logo as it is (p->logo ignored). */
int pc_clinic_profile_set(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_clinic_profile *p,
                          bool keep_logo, int64_t now, const char **why);

/* ---- sites of a chain (lib/clinic/sites.c, issue 14.5) ----
 * An admin who belongs to the whole chain (no site named) is a chain admin; an admin who
 * belongs to sites is a site admin, who manages only those sites: their users (never one who
 * belongs elsewhere or to the whole chain), their settings and their report. Refusals are
 * PC_ERR_DENIED with why "site_scope". */
bool pc_clinic_chain_admin(const pc_user *u);
/* Do a and b share a site (either belonging to the whole chain shares them all)? */
bool pc_clinic_user_shares_site(const pc_user *a, const pc_user *b);
/* May actor (an admin) turn user before (NULL: a new user) into after? after's sites must be
 * distinct and positive (PC_ERR_INVALID). A site admin: before and after each belong to
 * sites, all of them actor's. */
int pc_clinic_user_manage(pc_ctx *ctx, const pc_user *actor, const pc_user *before,
                          const pc_user *after, const char **why);
/* Check a site's members: a name of 1 to PC_SITE_NAME_MAX characters, an address of at most
 * PC_SITE_ADDRESS_MAX (line breaks allowed), no control characters, a time zone "" or one the
 * system knows. PC_OK or PC_ERR_INVALID "member: reason". */
int pc_clinic_site_check(pc_ctx *ctx, const pc_site *x);
/* Create (x->id 0: chain admins) or change (a chain admin, or a site admin of x->id) a site;
 * audited "site.create" / "site.update"; *id the site's. A name taken: PC_ERR_CONFLICT. */
int pc_clinic_site_put(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_site *x, int64_t now,
                       int64_t *id, const char **why);
/* A session's site (pc_clinic_start.site_id): one of who's sites ("site_scope" otherwise);
 * not named, who's one site, else the chain's one site, else PC_ERR_INVALID "site_required". */
/* The sessions report (issue 14.5): sessions not cancelled, and how many of them signed, per
 * site, practitioner and month (in the site's time zone, else clinic_tz, else UTC), for the
 * months from..to ("YYYY-MM", at most 36 of them). site 0: every site who may see (a chain
 * admin: all; a site admin: theirs). Returns {"from","to","rows":[{"site_id","site","month",
 * "practitioner_id","practitioner","sessions","signed"}]} ordered by site name, month and
 * practitioner name, in *out (the caller decrefs). */
int pc_clinic_sessions_report(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t site,
                              const char *from, const char *to, const char *clinic_tz, json_t **out,
                              const char **why);

/* ---- photos ---- */

/* May who add a photo of client_id, of session session_id (0: none), on the clinic's date
 * today? A photo needs the "photos" consent item: the session's consent, or without a session a
 * consent of the client recorded today ("consent_missing"); a signed session takes nothing more
 * ("immutable": correct it with an amendment); another client's session is PC_ERR_INVALID. */
int pc_clinic_photo_allowed(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                            int64_t session_id, const char *today, const char **why);
/* Store photo p (its file already kept) by actor at now, with its audit entry: a session it
 * names is judged again in the insert's transaction (signed or cancelled since the upload
 * began: "immutable" / "cancelled", and nothing is stored). */
int pc_clinic_photo_add(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_photo *p, int64_t now,
                        int64_t *id, const char **why);

/* May who analyse photo p again (a new detector, a failed analysis)? A photo's analysis is
 * part of its session's record: a signed session's photo keeps the analysis it was signed
 * with ("immutable", PC_ERR_CONFLICT), a cancelled session's too ("cancelled"). A photo
 * without an analysis (not "done") or without a session may always be analysed. */
int pc_clinic_reanalysis_allowed(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_photo *p,
                                 const char **why);

/* ---- comparisons ---- */

/* May who make a before/after comparison on session session_id? A comparison is part of the
 * session's record, so the session must be open: a signed session takes nothing more
 * ("immutable", PC_ERR_CONFLICT), nor a cancelled one ("cancelled"); no such session is
 * PC_ERR_NOTFOUND. Comparing a signed session's before photo with a later visit's photo is the
 * later, open session's comparison (its before_photo_id names the older photo). */
int pc_clinic_comparison_allowed(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                                 const char **why);
/* Store comparison c (made by a job from c->created_by's request) with its audit entry: the
 * same rule in the insert's transaction (a session signed while the comparison was being made
 * takes it no more: "immutable", nothing stored), and both photos must be c->client_id's
 * (PC_ERR_INVALID). */
int pc_clinic_comparison_add(pc_ctx *ctx, pc_store *s, const pc_comparison_rec *c, int64_t *id,
                             const char **why);

#endif
