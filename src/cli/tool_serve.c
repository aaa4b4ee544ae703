/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear serve — run the clinic web app (docs/web.md, API in docs/api.md). */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../web/web.h"
#include "poreclear/clinic.h"
#include "core/file.h"
#include "tool_cmds.h"
#include "poreclear/model.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: poreclear serve [--listen ADDR:PORT] [--data DIR] [options]\n\n"
            "Serve the clinic web app (default http://127.0.0.1:8080).\n\n"
            "  --listen ADDR:PORT    address and port (default 127.0.0.1:8080; port 0 = any free)\n"
            "  --data DIR            data folder (default $XDG_DATA_HOME/poreclear or\n"
            "                        ~/.local/share/poreclear); holds poreclear.db\n"
            "  --db postgresql://... a PostgreSQL database instead of SQLite (clinic chains;\n"
            "                        default $PORECLEAR_DB, else SQLite in the data folder)\n"
            "  --web DIR             the pages (default: the repository's web/ folder)\n"
            "  --protocol FILE       the protocol (default: the repository's data/protocol.json)\n"
            "  --threads N           worker threads (default 4)\n"
            "  --analysis-workers N  photo analyses at once (default: the number of cores; 0:\n"
            "                        none here, another server on the same database runs them)\n"
            "  --analysis-queue N    analyses waiting at most; beyond: 503 (default 16)\n"
            "  --job-lease S         a claimed analysis is another worker's after S seconds\n"
            "                        without progress (its worker died; default 120)\n"
            "  --session-idle S      log out after S idle seconds (default 1800)\n"
            "  --session-max S       log out S seconds after login (default 43200)\n"
            "  --login-cache MS      reuse a resolved login for MS milliseconds, saving the\n"
            "                        database a lookup per request; a logout or a change of a\n"
            "                        user made on another server reaches this one within MS\n"
            "                        (0..5000; default 250 with PostgreSQL, 0 with SQLite)\n"
            "  --header-timeout S    close a connection whose request head is idle S seconds\n"
            "                        (default 10)\n"
            "  --body-timeout S      idle seconds allowed in a body or between requests\n"
            "                        (default 30)\n"
            "  --lock-after N        lock an account after N failed logins since its last\n"
            "                        success, until an admin unlocks it (default 100)\n"
            "  --secure-cookies      mark the session cookie Secure (behind a TLS proxy)\n"
            "  --public-url URL      the address clients reach, http(s)://HOST[:PORT] (default\n"
            "                        $PORECLEAR_PUBLIC_URL): the links in e-mails are built on\n"
            "                        it; without it an invitation is made only when the desk\n"
            "                        reaches this server as localhost/127.0.0.1/[::1]\n"
            "  --demo                on an empty data folder, create the demo clinic and print\n"
            "                        its passwords (admin, demo, trainee, desk)\n"
            "  --demo-password PW    use PW for the four demo accounts instead of random ones\n"
            "  --port-file FILE      write the port number to FILE once listening\n"
            "  --detector NAME       lesion detector of the photo analyses and comparisons:\n"
            "                        learned (default: the model trained on ACNE04, academic\n"
            "                        use only, data/model/MODEL.md) or classic (also used,\n"
            "                        with a warning, when the model file is missing)\n"
            "  --model FILE          the learned detector's weights (default: the shipped\n"
            "                        data/model/pcnet-v1.safetensors)\n"
            "  --smtp URL            send e-mail to clients through smtp://HOST:PORT (STARTTLS\n"
            "                        when offered) or smtps://HOST:PORT (TLS)\n"
            "  --smtp-user USER      log in to the SMTP server; the password is read from\n"
            "                        $PORECLEAR_SMTP_PASSWORD\n"
            "  --mail-from ADDR      the sender's address (needed with --smtp)\n"
            "  --clinic-name NAME, --clinic-address TEXT, --clinic-phone TEXT\n"
            "                        said in each message\n"
            "  --reminder-hours N    the reminder N hours before (default 24)\n"
            "  --mail-retry S        wait S seconds before the first retry, doubling\n"
            "                        (default 30)\n"
            "  --mail-timeout S      one delivery takes at most S seconds (default 60); a\n"
            "                        message a stopped sender left goes again S + 10 s later\n\n"
            "On first start (no accounts), creates the user 'admin' and prints a one-time\n"
            "password that must be changed at the first login. Stops on SIGINT/SIGTERM.\n");
}

/* How long a server on PostgreSQL reuses a resolved login: long enough that a burst of
 * requests (a page and its API calls, or many at once under load) asks the database once,
 * short enough that a logout or deactivation on another server takes effect there before a
 * person could act on the old session. */
#define LOGIN_CACHE_PG_MS 250

/* "ADDR:PORT", "[v6]:PORT" or ":PORT". */
static bool parse_listen(const char *s, char *addr, size_t n, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon) return false;
    long p;
    if (!tool_parse_int(colon + 1, 0, 65535, &p)) return false;
    const char *a = s;
    size_t len = (size_t)(colon - s);
    if (len >= 2 && a[0] == '[' && a[len - 1] == ']') {
        a++;
        len -= 2;
    }
    if (len == 0) {
        a = "127.0.0.1";
        len = strlen(a);
    }
    if (len >= n) return false;
    memcpy(addr, a, len);
    addr[len] = 0;
    *port = (int)p;
    return true;
}

static int first_start(pc_store *store, bool demo, const char *demo_pw, const pc_protocol *proto)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t users = 0;
    if (pc_store_user_count(&ctx, store, &users) != PC_OK) return tool_fail(&ctx, "store");
    if (users > 0) return TOOL_EXIT_OK;
    if (demo) {
        /* each account its own password (one printed password must not open two accounts),
         * unless the caller chose one for all (tests) */
        char pw[WEB_DEMO_USERS][17];
        const char *pws[WEB_DEMO_USERS];
        for (int i = 0; i < WEB_DEMO_USERS; i++) {
            if (demo_pw)
                snprintf(pw[i], sizeof pw[i], "%.16s", demo_pw);
            else if (pc_password_random(&ctx, pw[i]) != PC_OK)
                return tool_fail(&ctx, "demo clinic");
            pws[i] = demo_pw ? demo_pw : pw[i];
        }
        if (web_demo_seed(&ctx, store, proto, pws) != PC_OK) return tool_fail(&ctx, "demo clinic");
        printf("demo clinic created:\n"
               "  admin         user admin   password %s\n"
               "  practitioner  user demo    password %s  (every certification)\n"
               "  practitioner  user trainee password %s  (no certification)\n"
               "  reception     user desk    password %s\n"
               "  clients: Margaret Hill (pacemaker), Jordan Lee (isotretinoin), Sofia Rossi\n",
               pws[0], pws[1], pws[2], pws[3]);
        return TOOL_EXIT_OK;
    }
    char otp[17], hash[PC_PASSWORD_HASH_BYTES];
    if (pc_password_random(&ctx, otp) != PC_OK) return tool_fail(&ctx, "first admin");
    pc_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "admin");
    snprintf(u.display_name, sizeof u.display_name, "Administrator");
    u.role = PC_ROLE_ADMIN;
    u.active = true;
    u.must_change_password = true;
    int64_t id;
    if (pc_password_hash(&ctx, otp, hash, sizeof hash) != PC_OK ||
        pc_store_user_create(&ctx, store, 0, &u, hash, (int64_t)time(NULL), &id) != PC_OK)
        return tool_fail(&ctx, "first admin");
    printf("first start: created user 'admin' with one-time password %s\n"
           "(it must be changed at the first login)\n",
           otp);
    return TOOL_EXIT_OK;
}

int tool_serve(int argc, char **argv)
{
    const char *listen = "127.0.0.1:8080", *data = NULL, *web = NULL, *protocol = NULL;
    const char *db = getenv("PORECLEAR_DB");
    const char *public_url = getenv("PORECLEAR_PUBLIC_URL");
    const char *demo_pw = NULL, *port_file = NULL, *model_path = NULL;
    bool demo = false, secure = false, classic = false;
    long threads = 4, idle = 1800, maxage = 43200, aworkers = 0, aqueue = 0, lease = 0;
    long header_to = 10, body_to = 30, lock_after = 100, login_cache = -1;
    const char *smtp = NULL, *smtp_user = NULL, *mail_from = NULL, *clinic_name = NULL;
    const char *clinic_address = NULL, *clinic_phone = NULL;
    long reminder_h = 24, retry_s = 30, timeout_s = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return TOOL_EXIT_OK;
        } else if (!strcmp(a, "--demo")) {
            demo = true;
        } else if (!strcmp(a, "--secure-cookies")) {
            secure = true;
        } else if (!v) {
            tool_error("serve", "%s: unknown option or missing value (try --help)", a);
            return TOOL_EXIT_USAGE;
        } else if (!strcmp(a, "--listen")) {
            listen = argv[++i];
        } else if (!strcmp(a, "--public-url")) {
            public_url = argv[++i];
        } else if (!strcmp(a, "--data")) {
            data = argv[++i];
        } else if (!strcmp(a, "--db")) {
            db = argv[++i];
        } else if (!strcmp(a, "--web")) {
            web = argv[++i];
        } else if (!strcmp(a, "--protocol")) {
            protocol = argv[++i];
        } else if (!strcmp(a, "--demo-password")) {
            demo_pw = argv[++i];
        } else if (!strcmp(a, "--port-file")) {
            port_file = argv[++i];
        } else if (!strcmp(a, "--model")) {
            model_path = argv[++i];
        } else if (!strcmp(a, "--detector")) {
            const char *d = argv[++i];
            if (strcmp(d, "learned") && strcmp(d, "classic")) {
                tool_error("serve", "invalid --detector '%s' (learned or classic)", d);
                return TOOL_EXIT_USAGE;
            }
            classic = !strcmp(d, "classic");
        } else if (!strcmp(a, "--smtp")) {
            smtp = argv[++i];
        } else if (!strcmp(a, "--smtp-user")) {
            smtp_user = argv[++i];
        } else if (!strcmp(a, "--mail-from")) {
            mail_from = argv[++i];
        } else if (!strcmp(a, "--clinic-name")) {
            clinic_name = argv[++i];
        } else if (!strcmp(a, "--clinic-address")) {
            clinic_address = argv[++i];
        } else if (!strcmp(a, "--clinic-phone")) {
            clinic_phone = argv[++i];
        } else if (!strcmp(a, "--reminder-hours") || !strcmp(a, "--mail-retry") ||
                   !strcmp(a, "--mail-timeout")) {
            bool rh = !strcmp(a, "--reminder-hours");
            long *dst = rh ? &reminder_h : !strcmp(a, "--mail-retry") ? &retry_s : &timeout_s;
            if (!tool_parse_int(argv[++i], 1, rh ? 24L * 366 : 3600, dst)) {
                tool_error("serve", "%s: must be 1..%d", a, rh ? 24 * 366 : 3600);
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--threads")) {
            if (!tool_parse_int(argv[++i], 1, 64, &threads)) {
                tool_error("serve", "--threads: must be 1..64");
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--analysis-workers") || !strcmp(a, "--analysis-queue")) {
            bool w = !strcmp(a, "--analysis-workers");
            if (!tool_parse_int(argv[++i], w ? 0 : 1, w ? 16 : 128, w ? &aworkers : &aqueue)) {
                tool_error("serve", "%s: must be %d..%d", a, w ? 0 : 1, w ? 16 : 128);
                return TOOL_EXIT_USAGE;
            }
            if (w && aworkers == 0) aworkers = -1; /* none: another server does the work */
        } else if (!strcmp(a, "--job-lease")) {
            if (!tool_parse_int(argv[++i], 1, 3600, &lease)) {
                tool_error("serve", "--job-lease: must be 1..3600 seconds");
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--login-cache")) {
            if (!tool_parse_int(argv[++i], 0, 5000, &login_cache)) {
                tool_error("serve", "--login-cache: must be 0..5000 milliseconds");
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--session-idle")) {
            if (!tool_parse_int(argv[++i], 1, 30L * 86400, &idle)) {
                tool_error("serve", "--session-idle: must be 1..2592000 seconds");
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--header-timeout") || !strcmp(a, "--body-timeout")) {
            bool h = !strcmp(a, "--header-timeout");
            if (!tool_parse_int(argv[++i], 1, 3600, h ? &header_to : &body_to)) {
                tool_error("serve", "%s: must be 1..3600 seconds", a);
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--lock-after")) {
            if (!tool_parse_int(argv[++i], 1, 1000000, &lock_after)) {
                tool_error("serve", "--lock-after: must be 1..1000000");
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--session-max")) {
            if (!tool_parse_int(argv[++i], 1, 30L * 86400, &maxage)) {
                tool_error("serve", "--session-max: must be 1..2592000 seconds");
                return TOOL_EXIT_USAGE;
            }
        } else {
            tool_error("serve", "%s: unknown option (try --help)", a);
            return TOOL_EXIT_USAGE;
        }
    }
    if (demo_pw && pc_password_weak(demo_pw)) {
        tool_error("serve", "--demo-password: %s", pc_password_weak(demo_pw));
        return TOOL_EXIT_USAGE;
    }
    char addr[64];
    int port;
    if (!parse_listen(listen, addr, sizeof addr, &port)) {
        tool_error("serve", "--listen: '%s' is not ADDR:PORT", listen);
        return TOOL_EXIT_USAGE;
    }
    char public_buf[256];
    if (public_url && *public_url) {
        if (!web_public_url(public_url, public_buf, sizeof public_buf)) {
            tool_error("serve",
                       "--public-url: '%s' is not http(s)://HOST[:PORT] (no user, path, query or "
                       "fragment)",
                       public_url);
            return TOOL_EXIT_USAGE;
        }
        public_url = public_buf;
    } else
        public_url = NULL;
    char data_buf[4096], web_buf[4096], proto_buf[4096];
    if (!data) {
        if (!pc_store_default_dir(data_buf, sizeof data_buf)) {
            tool_error("serve", "no --data and neither XDG_DATA_HOME nor HOME is set");
            return TOOL_EXIT_USAGE;
        }
        data = data_buf;
    }
    if (!web) {
        if (!tool_find_shipped("web", "index.html", web_buf, sizeof web_buf)) {
            tool_error("serve", "cannot find the pages (%s); use --web DIR", web_buf);
            return TOOL_EXIT_IO;
        }
        char *slash = strrchr(web_buf, '/');
        if (slash) *slash = 0;
        web = web_buf;
    }
    if (!protocol) {
        if (!tool_find_shipped("data", "protocol.json", proto_buf, sizeof proto_buf)) {
            tool_error("serve", "cannot find the protocol (%s); use --protocol FILE", proto_buf);
            return TOOL_EXIT_IO;
        }
        protocol = proto_buf;
    }
    pc_model *model = NULL;
    int mrc = tool_load_detector("serve", classic, model_path, &model);
    if (mrc != TOOL_EXIT_OK) return mrc;
    /* the database holds health records: files only for this user (the folder is 0700) */
    umask(077);
    if (sodium_init() < 0) {
        tool_error("serve", "libsodium cannot start");
        pc_model_free(model);
        return TOOL_EXIT_FAIL;
    }

    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int exit_code = TOOL_EXIT_OK;
    pc_protocol *proto = NULL;
    pc_store *store = NULL;
    web_server *srv = NULL;
    if (pc_protocol_load_file(&ctx, protocol, &proto) != PC_OK) {
        exit_code = tool_fail(&ctx, NULL);
        goto out;
    }
    /* a connection for each worker thread, the audit writer and the command line */
    pc_store_options sopts = {.pool_size = (int)threads + 2, .db = db};
    if (pc_store_open(&ctx, data, &sopts, &store) != PC_OK) {
        /* never the address itself: it may hold a password */
        exit_code = tool_fail(&ctx, db && *db ? "database" : data);
        goto out;
    }
    if ((exit_code = first_start(store, demo, demo_pw, proto)) != TOOL_EXIT_OK) goto out;

    /* SIGINT/SIGTERM are taken by sigwait below; block them before the server threads exist
     * so that they inherit the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* the ingredient knowledge base, found the way `poreclear ingredients` finds it */
    char kb_buf[4096];
    bool kb_found = tool_find_shipped("data", "ingredients/ratings.tsv", kb_buf, sizeof kb_buf);
    if (kb_found) {
        char *slash = strrchr(kb_buf, '/');
        if (slash) *slash = 0;
    }
    web_config cfg = {
        .listen_addr = addr,
        .port = port,
        .web_dir = web,
        .protocol_path = protocol,
        .store = store,
        .protocol = proto,
        .threads = (int)threads,
        .session_idle_s = (int)idle,
        .session_max_s = (int)maxage,
        /* PostgreSQL: a round trip saved per request (docs/web.md, running a chain); SQLite:
         * the lookup is in-process, no staleness is worth it */
        .login_cache_ms = login_cache >= 0 ? (int)login_cache
                          : db && *db      ? LOGIN_CACHE_PG_MS
                                           : 0,
        .secure_cookies = secure,
        .public_url = public_url,
        .header_timeout_s = (int)header_to,
        .connection_timeout_s = (int)body_to,
        .lock_after = (int)lock_after,
        .data_dir = data,
        .analysis_workers = (int)aworkers,
        .analysis_queue = (int)aqueue,
        .job_lease_s = (int)lease,
        .kb_dir = kb_found ? kb_buf : NULL,
        .model = model,
        .smtp_url = smtp,
        .smtp_user = smtp_user,
        .smtp_password = smtp_user ? getenv("PORECLEAR_SMTP_PASSWORD") : NULL,
        .mail_from = mail_from,
        .clinic_name = clinic_name,
        .clinic_address = clinic_address,
        .clinic_phone = clinic_phone,
        .reminder_hours = (int)reminder_h,
        .mail_retry_s = (int)retry_s,
        .mail_timeout_s = (int)timeout_s,
    };
    if (web_server_start(&ctx, &cfg, &srv) != PC_OK) {
        exit_code = tool_fail(&ctx, "serve");
        goto out;
    }
    port = web_server_port(srv);
    printf("poreclear: serving http://%s%s%s:%d/ (data %s, %s, schema v%d)\n",
           strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "", port, data,
           db && *db ? "PostgreSQL" : "SQLite", pc_store_schema_version(store));
    fflush(stdout);
    /* the port file comes last: it tells scripts that everything above is done */
    if (port_file) {
        char pbuf[16];
        int n = snprintf(pbuf, sizeof pbuf, "%d\n", port);
        if (pc_file_write_atomic(&ctx, port_file, pbuf, (size_t)n) != PC_OK) {
            exit_code = tool_fail(&ctx, port_file);
            goto out;
        }
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "poreclear: stopping (signal %d)\n", sig);
out:
    web_server_stop(srv);
    pc_store_close(store);
    pc_protocol_free(proto);
    pc_model_free(model); /* after the workers have stopped */
    return exit_code;
}
