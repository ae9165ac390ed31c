/* tests/test_deps.c - tests/deps.sh, the script `make test` runs to install
 * the Check library when it is missing.
 *
 * Each test puts stub package managers (shell scripts that append their name,
 * their arguments and DEBIAN_FRONTEND to a log) in a temporary folder, makes
 * that folder (plus a folder with `env`, `rm` and `true`) the whole PATH, tells the
 * script to treat Check as absent (SG_DEPS_ASSUME_MISSING=1) and which user
 * it runs as (SG_DEPS_UID), then reads the log: the exact command the script
 * would have run on a real system. CC=/bin/true stands in for the compiler
 * of the check after the install. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testfiles.h"
#include "tests/testutil.h"

typedef struct stub_env {
    char *dir, *bin, *tools, *log, *out;
} stub_env;

/* A stub that logs "name args [DEBIAN_FRONTEND]" and exits with `rc`; with
 * fail_first, the first `install` (or `add`) call fails (a stale index). */
static void write_stub(const stub_env *e, const char *name, int rc, bool fail_first)
{
    const char *path = sg_test_path(e->bin, name);
    char script[1024];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "echo \"%s $* [${DEBIAN_FRONTEND:-}]\" >> '%s'\n"
             "if [ %d = 1 ] && [ \"$1\" = install ] && [ ! -e '%s.failed' ]; then\n"
             "  : > '%s.failed'; exit 100\n"
             "fi\n"
             "exit %d\n",
             name, e->log, fail_first ? 1 : 0, e->log, e->log, rc);
    sg_test_write_bytes(path, script, strlen(script));
    ck_assert_int_eq(chmod(path, 0755), 0);
}

/* A password-less sudo: logs itself, drops -n, runs the rest. */
static void write_sudo(const stub_env *e, bool works)
{
    const char *path = sg_test_path(e->bin, "sudo");
    char script[512];
    snprintf(script, sizeof script,
             "#!/bin/sh\necho \"sudo $*\" >> '%s'\n%s[ \"$1\" = -n ] && shift\nexec \"$@\"\n",
             e->log, works ? "" : "exit 1\n");
    sg_test_write_bytes(path, script, strlen(script));
    ck_assert_int_eq(chmod(path, 0755), 0);
}

static stub_env stub_env_new(void)
{
    stub_env e;
    e.dir = strdup(sg_test_tmpdir());
    e.bin = strdup(sg_test_path(e.dir, "bin"));
    e.tools = strdup(sg_test_path(e.dir, "tools"));
    e.log = strdup(sg_test_path(e.dir, "log.txt"));
    e.out = strdup(sg_test_path(e.dir, "out.txt"));
    ck_assert_int_eq(mkdir(e.bin, 0755), 0);
    ck_assert_int_eq(mkdir(e.tools, 0755), 0);
    const char *tools[] = {"env", "rm", "true"};
    for (int i = 0; i < 3; i++) {
        /* The binary, not the shell builtin: /usr/bin first, then /bin. */
        char real[256];
        snprintf(real, sizeof real, "/usr/bin/%s", tools[i]);
        if (access(real, X_OK) != 0) snprintf(real, sizeof real, "/bin/%s", tools[i]);
        ck_assert_msg(access(real, X_OK) == 0, "no %s in /usr/bin or /bin", tools[i]);
        ck_assert_int_eq(symlink(real, sg_test_path(e.tools, tools[i])), 0);
    }
    sg_test_write_bytes(e.log, "", 0);
    return e;
}

static void stub_env_free(stub_env *e)
{
    sg_test_remove_tree(e->dir);
    free(e->dir); free(e->bin); free(e->tools); free(e->log); free(e->out);
}

/* Run tests/deps.sh with PATH = stubs + tools and the extra environment. */
static int run_deps(const stub_env *e, const char *extra_env)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "env -i PATH='%s:%s' TMPDIR='%s' CC=/bin/true SG_DEPS_ASSUME_MISSING=1 %s "
             "/bin/sh tests/deps.sh > '%s' 2>&1",
             e->bin, e->tools, e->dir, extra_env, e->out);
    int status = system(cmd);
    ck_assert_msg(status != -1 && WIFEXITED(status), "'%s' did not exit normally", cmd);
    return WEXITSTATUS(status);
}

static void expect_log(const stub_env *e, const char *expected)
{
    char *log = sg_test_slurp(e->log);
    ck_assert_msg(strcmp(log, expected) == 0, "commands run:\n%s\nexpected:\n%s", log, expected);
    free(log);
}

START_TEST(apt_get_as_root_installs_check_noninteractively)
{
    stub_env e = stub_env_new();
    write_stub(&e, "apt-get", 0, false);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=0"), 0);
    expect_log(&e, "apt-get install -y -q check pkg-config [noninteractive]\n");
    sg_test_expect_file_contains(e.out, "Check installed");
    stub_env_free(&e);
}
END_TEST

START_TEST(apt_get_refreshes_a_stale_index_and_retries_once)
{
    stub_env e = stub_env_new();
    write_stub(&e, "apt-get", 0, true);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=0"), 0);
    expect_log(&e, "apt-get install -y -q check pkg-config [noninteractive]\n"
                   "apt-get update -q []\n"
                   "apt-get install -y -q check pkg-config [noninteractive]\n");
    stub_env_free(&e);
}
END_TEST

START_TEST(a_failed_install_exits_1_with_the_command)
{
    stub_env e = stub_env_new();
    write_stub(&e, "dnf", 1, false);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=0"), 1);
    expect_log(&e, "dnf install -y check-devel pkgconf-pkg-config []\n");
    sg_test_expect_file_contains(e.out, "installing Check failed; run it yourself: dnf install");
    stub_env_free(&e);
}
END_TEST

START_TEST(dnf_and_apk_get_their_own_package_names)
{
    stub_env e = stub_env_new();
    write_stub(&e, "dnf", 0, false);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=0"), 0);
    expect_log(&e, "dnf install -y check-devel pkgconf-pkg-config []\n");
    stub_env_free(&e);

    e = stub_env_new();
    write_stub(&e, "apk", 0, false);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=0"), 0);
    expect_log(&e, "apk add check-dev pkgconf []\n");
    stub_env_free(&e);
}
END_TEST

START_TEST(a_user_installs_through_passwordless_sudo)
{
    stub_env e = stub_env_new();
    write_stub(&e, "apt-get", 0, false);
    write_sudo(&e, true);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=1000"), 0);
    expect_log(&e, "sudo -n true\n"
                   "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q check pkg-config\n"
                   "apt-get install -y -q check pkg-config [noninteractive]\n");
    stub_env_free(&e);
}
END_TEST

START_TEST(a_user_without_sudo_gets_the_command_and_exit_2)
{
    stub_env e = stub_env_new();
    write_stub(&e, "apt-get", 0, false);
    write_sudo(&e, false);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=1000"), 2);
    expect_log(&e, "sudo -n true\n");
    sg_test_expect_file_contains(e.out, "run: sudo apt-get install -y -q check pkg-config");
    stub_env_free(&e);
}
END_TEST

START_TEST(sg_no_install_prints_the_command_and_installs_nothing)
{
    stub_env e = stub_env_new();
    write_stub(&e, "apt-get", 0, false);
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=0 SG_NO_INSTALL=1"), 2);
    expect_log(&e, "");
    sg_test_expect_file_contains(e.out, "SG_NO_INSTALL=1, so install it yourself: apt-get install -y -q check pkg-config");
    stub_env_free(&e);
}
END_TEST

START_TEST(no_package_manager_says_what_to_install)
{
    stub_env e = stub_env_new();
    ck_assert_int_eq(run_deps(&e, "SG_DEPS_UID=0"), 2);
    sg_test_expect_file_contains(e.out, "no known package manager was found");
    stub_env_free(&e);
}
END_TEST

/* The suite itself runs, so Check is here: the script must do nothing. */
START_TEST(check_present_installs_nothing)
{
    stub_env e = stub_env_new();
    write_stub(&e, "apt-get", 0, false);
    char cmd[4096];
    const char *cc = getenv("CC");
    snprintf(cmd, sizeof cmd, "PATH='%s':\"$PATH\" CC='%s' /bin/sh tests/deps.sh > '%s' 2>&1", e.bin,
             cc && *cc ? cc : "cc", e.out);
    ck_assert_int_eq(system(cmd), 0);
    expect_log(&e, "");
    char *out = sg_test_slurp(e.out);
    ck_assert_msg(out[0] == '\0', "deps.sh printed with Check present:\n%s", out);
    free(out);
    stub_env_free(&e);
}
END_TEST

static Suite *deps_suite(void)
{
    Suite *s = suite_create("deps");
    SG_ADD_TEST(s, apt_get_as_root_installs_check_noninteractively, 30);
    SG_ADD_TEST(s, apt_get_refreshes_a_stale_index_and_retries_once, 30);
    SG_ADD_TEST(s, a_failed_install_exits_1_with_the_command, 30);
    SG_ADD_TEST(s, dnf_and_apk_get_their_own_package_names, 30);
    SG_ADD_TEST(s, a_user_installs_through_passwordless_sudo, 30);
    SG_ADD_TEST(s, a_user_without_sudo_gets_the_command_and_exit_2, 30);
    SG_ADD_TEST(s, sg_no_install_prints_the_command_and_installs_nothing, 30);
    SG_ADD_TEST(s, no_package_manager_says_what_to_install, 30);
    SG_ADD_TEST(s, check_present_installs_nothing, 30);
    return s;
}

SG_TEST_MAIN(deps_suite)
