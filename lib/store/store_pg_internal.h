/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The PostgreSQL engine (internal to lib/store/): its driver over libpq. */
#ifndef PC_STORE_PG_INTERNAL_H
#define PC_STORE_PG_INTERNAL_H

#include "poreclear/store.h"
#include "store/db.h"

/* The driver over a pool of libpq connections (open's target is a postgresql:// URL). */
extern const pc_db_driver pc_db_pg;

#endif
