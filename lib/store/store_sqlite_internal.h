/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SQLite engine (internal to lib/store/): its driver, and a PRAGMA reader for the tests of
 * the durability promise. */
#ifndef PC_STORE_SQLITE_INTERNAL_H
#define PC_STORE_SQLITE_INTERNAL_H

#include "poreclear/store.h"
#include "store/db.h"

/* The driver over a pool of connections to DIR/poreclear.db (open's target is DIR). */
extern const pc_db_driver pc_db_sqlite;

/* The value of an integer PRAGMA (e.g. "synchronous") on a pooled connection. */
int pc_sq_pragma_int(pc_ctx *ctx, void *state, const char *pragma, int64_t *value);

#endif
