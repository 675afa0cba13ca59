// Command validate validates one parachain candidate through libpvf from Go, with cgo.
//
//	go build -o validate-go . && ./validate-go CODE PARAMS
//
// Exit status 0: valid, 1: not valid, 2: an error. The library is found with pkg-config.
package main

/*
#cgo pkg-config: libpvf
#include <stdlib.h>
#include <string.h>
#include <pvf/host.h>
#include <pvf/version.h>
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: %s CODE PARAMS", os.Args[0])
	}
	code, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	params, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	cache, err := os.MkdirTemp("", "pvf-example-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(cache)

	// The request points into C memory: Go memory must not be held by C beyond a call.
	cCode := C.CBytes(code)
	defer C.free(cCode)
	cParams := C.CBytes(params)
	defer C.free(cParams)
	var errBuf [1024]C.char

	// Sized structs (include/pvf/host.h, "ABI"): the size as compiled here; cgo can't call the
	// init macros, so the functions they expand to.
	var rq C.pvf_execute_request
	C.pvf_execute_request_init_sized(&rq, C.size_t(unsafe.Sizeof(rq)))
	rq.code = (*C.uint8_t)(cCode)
	rq.code_len = C.size_t(len(code))
	rq.kind = C.PVF_KIND_BACKING
	if !C.pvf_execute_request_set_params(&rq, (*C.uint8_t)(cParams), C.size_t(len(params)), &errBuf[0], C.size_t(len(errBuf))) {
		fail("%s: %s", os.Args[2], C.GoString(&errBuf[0]))
	}

	var cfg C.pvf_host_config
	C.pvf_host_config_init_sized(&cfg, C.size_t(unsafe.Sizeof(cfg)))
	cCache := C.CString(cache)
	defer C.free(unsafe.Pointer(cCache))
	cfg.cache_dir = cCache
	host := C.pvf_host_start(&cfg, &errBuf[0], C.size_t(len(errBuf)))
	if host == nil {
		fail("libpvf: %s", C.GoString(&errBuf[0]))
	}
	r := C.pvf_host_execute(host, &rq)
	if r == nil {
		fail("libpvf: out of memory")
	}
	verdict := C.GoString(C.pvf_verdict_name(r.verdict))
	valid := r.verdict == C.PVF_VERDICT_VALID
	if valid {
		fmt.Printf("libpvf %s from Go: %s, a %d-byte ValidationResult\n", C.GoString(C.pvf_version()), verdict, r.result_len)
	} else {
		fmt.Printf("libpvf %s from Go: %s: %s: %s\n", C.GoString(C.pvf_version()), verdict,
			C.GoString(r.reason), C.GoString(r.message))
	}
	C.pvf_execute_result_free(r)
	C.pvf_host_stop(host)
	if !valid {
		os.Exit(1)
	}
}
