/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the whole public API. */
#ifndef PORECLEAR_H
#define PORECLEAR_H
#include "common.h"
#include "image.h"
#include "analysis.h"
#include "protocol.h"
#include "aftercare.h"
#include "synth.h"
#include "render.h"
#include "ingredients.h"
#endif
