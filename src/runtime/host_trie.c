/* host_trie.c — ext_trie_*: filled in when src/runtime/trie.c lands (in progress). */
#include "runtime/host_abi.h"

const host_fn_def host_trie_fns[] = {
    { NULL, NULL, NULL },
};
