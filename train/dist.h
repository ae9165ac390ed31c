/* train/dist.h - data-parallel training over MPI, behind one small API.
 *
 * Built with `make MPI=1` (mpicc, -DSG_MPI) these calls talk to MPI; in the
 * default build they are the one-process case (rank 0 of 1) and nothing of
 * MPI is compiled or linked. All MPI code of steelgrad is in train/dist.c.
 *
 * A process joins MPI only when a launcher started it (mpirun / mpiexec /
 * srun set OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK): a plain
 * `steelgrad train` of an MPI build is one process and never initialises MPI.
 * A binary built without MPI that finds itself one of several processes of
 * a launcher refuses to start (sg_dist_init fails): the processes would
 * each train alone into one run directory. 
 *
 * Every call is made from the main thread only (MPI_THREAD_FUNNELED). The
 * collectives are blocking and every rank calls them in the same order. */
#ifndef SG_DIST_H
#define SG_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* Join MPI when launched by mpirun (idempotent); afterwards rank/size are
 * set. Registers sg_dist_finalize with atexit. */
sg_err sg_dist_init(int *argc, char ***argv);
void sg_dist_finalize(void);
/* True if this binary was built with MPI=1. */
bool sg_dist_built(void);
int sg_dist_rank(void);
int sg_dist_size(void);

/* recv[r * n .. r * n + n) = rank r's `send` (n values), for every rank r:
 * an exact copy, the same bits on every rank. With one process: a copy. */
sg_err sg_dist_allgather_f32(const float *send, int64_t n, float *recv);
sg_err sg_dist_allgather_f64(const double *send, int64_t n, double *recv);

/* recv[r * n .. r * n + n) = the block send[q * n .. q * n + n) of rank r,
 * on rank q (MPI_Alltoall): rank q receives block q of every rank, in rank
 * order. With one process: a copy. */
sg_err sg_dist_alltoall_f32(const float *send, int64_t n, float *recv);

/* Non-blocking versions of the two above: started here, finished by
 * sg_dist_test (done = true) or sg_dist_wait; the buffers must stay put until
 * then. Every rank starts them in the same order. With one process they are
 * done at once. */
typedef struct sg_dist_request {
    unsigned char impl[16];      /* the MPI_Request */
    bool active;
} sg_dist_request;
sg_err sg_dist_ialltoall_f32(const float *send, int64_t n, float *recv, sg_dist_request *req);
sg_err sg_dist_iallgather_f32(const float *send, int64_t n, float *recv, sg_dist_request *req);
sg_err sg_dist_test(sg_dist_request *req, bool *done);
sg_err sg_dist_wait(sg_dist_request *req);

/* SG_OK if every rank passed the same v; else SG_ERR_INVALID "WHAT: rank R
 * does not match rank 0" for the first rank R that differs. */
sg_err sg_dist_check_same(uint64_t v, const char *what);

/* Stop every rank of the job (MPI_Abort) with exit code `code`; returns only
 * without MPI (then it does nothing). */
void sg_dist_abort(int code);

#endif
