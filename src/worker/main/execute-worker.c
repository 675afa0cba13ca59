/* execute-worker.c — main() of build/bin/pvf-execute-worker (src/worker/execute_worker.c). */
#include "worker/worker_common.h"

int main(int argc, char **argv)
{
    return execute_worker_main(argc, argv);
}
