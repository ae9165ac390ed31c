/* train/dist.c - the only file that includes <mpi.h> (see dist.h). Without
 * SG_MPI it is the one-process case. */
#include "train/dist.h"

#include <stdlib.h>
#include <string.h>

static int g_rank = 0, g_size = 1;

int sg_dist_rank(void) { return g_rank; }
int sg_dist_size(void) { return g_size; }

#ifndef SG_MPI

bool sg_dist_built(void) { return false; }

/* Started by mpirun with more than one process, a binary without MPI would
 * make P independent runs write one run directory: refuse. */
sg_err sg_dist_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1)
            return sg_error_set(SG_ERR_INVALID, "started by mpirun as one of %d processes, but this steelgrad "
                                "was built without MPI: build it with make MPI=1 (docs/DISTRIBUTED.md)",
                                atoi(v));
    }
    return SG_OK;
}

void sg_dist_finalize(void) {}

sg_err sg_dist_allgather_f32(const float *send, int64_t n, float *recv)
{
    if (n > 0 && recv != send) memcpy(recv, send, (size_t)n * sizeof *recv);
    return SG_OK;
}

sg_err sg_dist_allgather_f64(const double *send, int64_t n, double *recv)
{
    if (n > 0 && recv != send) memcpy(recv, send, (size_t)n * sizeof *recv);
    return SG_OK;
}

sg_err sg_dist_alltoall_f32(const float *send, int64_t n, float *recv)
{
    return sg_dist_allgather_f32(send, n, recv);
}

sg_err sg_dist_ialltoall_f32(const float *send, int64_t n, float *recv, sg_dist_request *req)
{
    req->active = false;
    return sg_dist_allgather_f32(send, n, recv);
}

sg_err sg_dist_iallgather_f32(const float *send, int64_t n, float *recv, sg_dist_request *req)
{
    req->active = false;
    return sg_dist_allgather_f32(send, n, recv);
}

sg_err sg_dist_test(sg_dist_request *req, bool *done)
{
    (void)req;
    *done = true;
    return SG_OK;
}

sg_err sg_dist_wait(sg_dist_request *req)
{
    (void)req;
    return SG_OK;
}

sg_err sg_dist_check_same(uint64_t v, const char *what)
{
    (void)v;
    (void)what;
    return SG_OK;
}

void sg_dist_abort(int code) { (void)code; }

#else

#include <limits.h>
#include <mpi.h>

static bool g_joined;
/* The non-blocking allgathers run on a communicator of their own: the
 * engine starts them in one order on every rank, and its alltoalls in one
 * order, but the two interleave differently from rank to rank (they start
 * when a test says an alltoall is done), which one communicator forbids. */
static MPI_Comm g_gather_comm = MPI_COMM_NULL;

bool sg_dist_built(void) { return true; }

static bool launched_by_mpirun(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return true;
    return false;
}

void sg_dist_finalize(void)
{
    int finalized = 0;
    if (!g_joined) return;
    MPI_Finalized(&finalized);
    if (!finalized && g_gather_comm != MPI_COMM_NULL) MPI_Comm_free(&g_gather_comm);
    if (!finalized) MPI_Finalize();
    g_joined = false;
}

sg_err sg_dist_init(int *argc, char ***argv)
{
    if (g_joined || !launched_by_mpirun()) return SG_OK;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return sg_error_set(SG_ERR_IO, "MPI_Init_thread failed");
    g_joined = true;
    atexit(sg_dist_finalize);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    if (MPI_Comm_dup(MPI_COMM_WORLD, &g_gather_comm) != MPI_SUCCESS)
        return sg_error_set(SG_ERR_IO, "MPI_Comm_dup failed");
    return SG_OK;
}

static sg_err allgather(const void *send, int64_t n, MPI_Datatype type, size_t elem, void *recv)
{
    if (!g_joined || g_size == 1) {
        if (n > 0 && recv != send) memcpy(recv, send, (size_t)n * elem);
        return SG_OK;
    }
    if (n > INT_MAX) return sg_error_set(SG_ERR_INVALID, "MPI allgather of %lld values: too many", (long long)n);
    int rc = MPI_Allgather(send, (int)n, type, recv, (int)n, type, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return sg_error_set(SG_ERR_IO, "MPI_Allgather failed (error %d)", rc);
    return SG_OK;
}

sg_err sg_dist_allgather_f32(const float *send, int64_t n, float *recv)
{
    return allgather(send, n, MPI_FLOAT, sizeof(float), recv);
}

sg_err sg_dist_allgather_f64(const double *send, int64_t n, double *recv)
{
    return allgather(send, n, MPI_DOUBLE, sizeof(double), recv);
}

sg_err sg_dist_alltoall_f32(const float *send, int64_t n, float *recv)
{
    if (!g_joined || g_size == 1) {
        if (n > 0 && recv != send) memcpy(recv, send, (size_t)n * sizeof *recv);
        return SG_OK;
    }
    if (n > INT_MAX) return sg_error_set(SG_ERR_INVALID, "MPI alltoall of %lld values: too many", (long long)n);
    int rc = MPI_Alltoall(send, (int)n, MPI_FLOAT, recv, (int)n, MPI_FLOAT, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return sg_error_set(SG_ERR_IO, "MPI_Alltoall failed (error %d)", rc);
    return SG_OK;
}

_Static_assert(sizeof(MPI_Request) <= sizeof(((sg_dist_request *)0)->impl), "MPI_Request does not fit");

static sg_err start(int which, const float *send, int64_t n, float *recv, sg_dist_request *req)
{
    req->active = false;
    if (!g_joined || g_size == 1) {
        if (n > 0 && recv != send) memcpy(recv, send, (size_t)n * sizeof *recv);
        return SG_OK;
    }
    if (n > INT_MAX) return sg_error_set(SG_ERR_INVALID, "MPI collective of %lld values: too many", (long long)n);
    MPI_Request r;
    int rc = which ? MPI_Iallgather(send, (int)n, MPI_FLOAT, recv, (int)n, MPI_FLOAT, g_gather_comm, &r)
                   : MPI_Ialltoall(send, (int)n, MPI_FLOAT, recv, (int)n, MPI_FLOAT, MPI_COMM_WORLD, &r);
    if (rc != MPI_SUCCESS)
        return sg_error_set(SG_ERR_IO, "%s failed (error %d)", which ? "MPI_Iallgather" : "MPI_Ialltoall", rc);
    memcpy(req->impl, &r, sizeof r);
    req->active = true;
    return SG_OK;
}

sg_err sg_dist_ialltoall_f32(const float *send, int64_t n, float *recv, sg_dist_request *req)
{
    return start(0, send, n, recv, req);
}

sg_err sg_dist_iallgather_f32(const float *send, int64_t n, float *recv, sg_dist_request *req)
{
    return start(1, send, n, recv, req);
}

sg_err sg_dist_test(sg_dist_request *req, bool *done)
{
    *done = true;
    if (!req->active) return SG_OK;
    MPI_Request r;
    memcpy(&r, req->impl, sizeof r);
    int flag = 0, rc = MPI_Test(&r, &flag, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return sg_error_set(SG_ERR_IO, "MPI_Test failed (error %d)", rc);
    memcpy(req->impl, &r, sizeof r);
    *done = flag != 0;
    req->active = !flag;
    return SG_OK;
}

sg_err sg_dist_wait(sg_dist_request *req)
{
    if (!req->active) return SG_OK;
    MPI_Request r;
    memcpy(&r, req->impl, sizeof r);
    int rc = MPI_Wait(&r, MPI_STATUS_IGNORE);
    req->active = false;
    if (rc != MPI_SUCCESS) return sg_error_set(SG_ERR_IO, "MPI_Wait failed (error %d)", rc);
    return SG_OK;
}

sg_err sg_dist_check_same(uint64_t v, const char *what)
{
    if (!g_joined || g_size == 1) return SG_OK;
    uint64_t *all = malloc((size_t)g_size * sizeof *all);
    if (!all) return sg_error_set(SG_ERR_NOMEM, "out of memory");
    int rc = MPI_Allgather(&v, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    sg_err err = SG_OK;
    if (rc != MPI_SUCCESS) err = sg_error_set(SG_ERR_IO, "MPI_Allgather failed (error %d)", rc);
    for (int r = 1; err == SG_OK && r < g_size; r++)
        if (all[r] != all[0])
            err = sg_error_set(SG_ERR_INVALID, "%s: rank %d does not match rank 0", what, r);
    free(all);
    return err;
}

void sg_dist_abort(int code)
{
    if (g_joined) MPI_Abort(MPI_COMM_WORLD, code);
}

#endif
