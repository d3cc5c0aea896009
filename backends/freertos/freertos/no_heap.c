/* The heap file of the no-alloc configuration: none. freertos-build compiles one heap file
 * in every build; without the crate's `alloc` feature the kernel is built with
 * configSUPPORT_DYNAMIC_ALLOCATION 0, creates everything in static memory, and has no
 * pvPortMalloc to link against at all. */
#include "FreeRTOS.h"

#if configSUPPORT_DYNAMIC_ALLOCATION
#    error "no_heap.c is only for the no-alloc configuration"
#endif
