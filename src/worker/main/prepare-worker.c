/* prepare-worker.c — main() of build/bin/pvf-prepare-worker (src/worker/prepare_worker.c). */
#include "worker/worker_common.h"

int main(int argc, char **argv)
{
    return prepare_worker_main(argc, argv);
}
