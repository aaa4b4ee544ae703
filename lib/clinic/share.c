/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Photos and comparisons the practitioner shares with the client (include/poreclear/
 * portal_home.h): only the client's own, by a clinical role, revocable, each act audited; the
 * client sees a share only while it stands. */
#include <stdio.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "poreclear/portal_home.h"
#include "store/store_portal_home.h"

static int may(pc_ctx *ctx, const pc_user *who, const char **why)
{
    if (who && who->active && pc_clinic_allows(who->role, PC_DO_PHOTO)) return PC_OK;
    if (why) *why = "forbidden";
    return pc_error(ctx, PC_ERR_DENIED, "only a practitioner or an admin shares photos");
}

int pc_share_add(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id, const char *kind,
                 int64_t ref_id, int64_t now, pc_share *out, bool *created, const char **why)
{
    if (why) *why = NULL;
    int rc = may(ctx, who, why);
    if (rc != PC_OK) return rc;
    if (!kind || (strcmp(kind, "photo") != 0 && strcmp(kind, "comparison") != 0)) {
        if (why) *why = "invalid";
        return pc_error(ctx, PC_ERR_INVALID, "kind: must be photo or comparison");
    }
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    int64_t owner = 0;
    bool found = false;
    pc_share sh;
    rc = pc_tx_share_owner(ctx, &tx, kind, ref_id, &owner);
    if (rc == PC_OK && owner != client_id)
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such %s of this client", kind);
    if (rc == PC_ERR_NOTFOUND && why) *why = "not_found";
    if (rc != PC_OK) goto out;
    if ((rc = pc_tx_share_active(ctx, &tx, client_id, kind, ref_id, &found, &sh)) != PC_OK)
        goto out;
    if (found) {
        *out = sh;
        if (created) *created = false;
        goto out;
    }
    memset(&sh, 0, sizeof sh);
    sh.client_id = client_id;
    snprintf(sh.kind, sizeof sh.kind, "%s", kind);
    sh.ref_id = ref_id;
    sh.shared_by = who->id;
    sh.shared_at = now;
    char detail[64];
    snprintf(detail, sizeof detail, "%s %lld", kind, (long long)ref_id);
    if ((rc = pc_tx_share_insert(ctx, &tx, &sh, &sh.id)) != PC_OK ||
        (rc = pc_tx_audit(ctx, &tx, who->id, "share.create", client_id, detail, now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    *out = sh;
    if (created) *created = true;
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_share_revoke(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                    int64_t share_id, int64_t now, const char **why)
{
    if (why) *why = NULL;
    int rc = may(ctx, who, why);
    if (rc != PC_OK) return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    pc_share sh;
    rc = pc_tx_share_get(ctx, &tx, share_id, &sh);
    if (rc == PC_OK && sh.client_id != client_id)
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such share of this client");
    if (rc == PC_ERR_NOTFOUND && why) *why = "not_found";
    if (rc != PC_OK) goto out;
    if (sh.revoked_at) {
        if (why) *why = "revoked";
        rc = pc_error(ctx, PC_ERR_CONFLICT, "this share was revoked already");
        goto out;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "share %lld (%s %lld)", (long long)share_id, sh.kind,
             (long long)sh.ref_id);
    if ((rc = pc_tx_share_set_revoked(ctx, &tx, share_id, who->id, now)) == PC_OK &&
        (rc = pc_tx_audit(ctx, &tx, who->id, "share.revoke", client_id, detail, now)) == PC_OK)
        rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_share_list(pc_ctx *ctx, pc_store *s, int64_t client_id, bool active_only, pc_share **out,
                  size_t *n)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_share_list(ctx, &tx, client_id, active_only, out, n);
    pc_tx_end(&tx);
    return rc;
}

int pc_share_visible(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t share_id, pc_share *out)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    pc_share sh;
    rc = pc_tx_share_get(ctx, &tx, share_id, &sh);
    pc_tx_end(&tx);
    if (rc == PC_OK && sh.client_id != client_id)
        rc = pc_error(ctx, PC_ERR_DENIED, "this is another client's share");
    else if (rc == PC_OK && sh.revoked_at)
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such share");
    if (rc == PC_OK) *out = sh;
    return rc;
}
