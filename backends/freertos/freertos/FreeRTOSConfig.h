/* threadteam-freertos's kernel configuration (used instead of freertos-next's, so that static
 * allocation, the tick hook and the assert handler are ours).
 *
 * build.rs (through freertos-build) passes on the command line: configUSE_PREEMPTION,
 * configMAX_PRIORITIES, configMINIMAL_STACK_SIZE, configTOTAL_HEAP_SIZE, configCPU_CLOCK_HZ
 * (Cortex-M), the INCLUDE_* switches of freertos-next's features, and THREADTEAM_ALLOC (1 when
 * the crate's `alloc` feature is on). Everything else is here. */
#ifndef THREADTEAM_FREERTOS_CONFIG_H
#define THREADTEAM_FREERTOS_CONFIG_H

#include <stdint.h>

#ifndef configTICK_RATE_HZ
#    define configTICK_RATE_HZ 1000
#endif
#define configTICK_TYPE_WIDTH_IN_BITS TICK_TYPE_WIDTH_32_BITS

/* Static creation (tasks of `TaskWorker`s, every semaphore and mutex) always; the heap only in
 * the alloc configuration, so that a no-alloc build cannot create anything dynamically: with
 * configSUPPORT_DYNAMIC_ALLOCATION 0 the dynamic API does not even exist to be linked. */
#define configSUPPORT_STATIC_ALLOCATION 1
#if THREADTEAM_ALLOC
#    define configSUPPORT_DYNAMIC_ALLOCATION 1
#else
#    define configSUPPORT_DYNAMIC_ALLOCATION 0
#endif
/* The idle task's TCB and stack come from the kernel's own static buffers. */
#define configKERNEL_PROVIDED_STATIC_MEMORY 1

#define configUSE_MUTEXES 1
#define configUSE_TASK_NOTIFICATIONS 1
#define configUSE_TIMERS 0
#define configUSE_CO_ROUTINES 0
#define configUSE_IDLE_HOOK 0
/* Interrupt handlers on the host: the POSIX port's tick is a signal handler, the only
 * interrupt that exists there; glue.c runs the application's tick hook inside it. */
#define configUSE_TICK_HOOK 1
#define configUSE_MALLOC_FAILED_HOOK 0
#define configUSE_STATS_FORMATTING_FUNCTIONS 0
#define configUSE_APPLICATION_TASK_TAG 0
#define configMAX_TASK_NAME_LEN 16

#define INCLUDE_vTaskDelay 1
#define INCLUDE_xTaskGetCurrentTaskHandle 1
#define INCLUDE_xTaskGetSchedulerState 1
#define INCLUDE_vTaskPrioritySet 0
#define INCLUDE_uxTaskPriorityGet 0
#define INCLUDE_eTaskGetState 0

#if defined(__ARM_ARCH)
/* NVIC priorities, as the hardware reads them (upper bits). The kernel's own interrupts
 * (SysTick, PendSV) run at the lowest priority. Interrupt handlers that call FreeRTOS (and so
 * threadteam: `submit`, a Signal's `notify`) must have a priority value numerically at or above
 * configMAX_SYSCALL_INTERRUPT_PRIORITY; critical sections mask exactly those. 0xa0 is
 * priority 5 of 8 on a part with 3 priority bits. */
#    ifndef configKERNEL_INTERRUPT_PRIORITY
#        define configKERNEL_INTERRUPT_PRIORITY 0xff
#    endif
#    ifndef configMAX_SYSCALL_INTERRUPT_PRIORITY
#        define configMAX_SYSCALL_INTERRUPT_PRIORITY 0xa0
#    endif
/* The Cortex-M port's handlers under the names cortex-m-rt's vector table uses. */
#    define vPortSVCHandler SVCall
#    define xPortPendSVHandler PendSV
#    define xPortSysTickHandler SysTick
#else
/* The POSIX port has no such function; glue.c defines it (true inside the tick hook). Declared
 * here for freertos-next's shim.c, which calls it. BaseType_t is `long` on that port. */
long xPortIsInsideInterrupt(void);
#endif

/* A task that overflows its stack corrupts whatever lies below it, silently: the kernel
 * checks each task's stack limit and fill pattern whenever it switches tasks, and glue.c's
 * hook panics with the task's name. */
#ifndef configCHECK_FOR_STACK_OVERFLOW
#    define configCHECK_FOR_STACK_OVERFLOW 2
#endif

/* A failed kernel assertion panics in Rust (glue.c, src/ffi.rs), with the file and line. */
void threadteam_freertos_assert_failed(const char *file, unsigned long line);
#define configASSERT(x)                                               \
    do {                                                              \
        if ((x) == 0) {                                               \
            threadteam_freertos_assert_failed(__FILE__, __LINE__);    \
        }                                                             \
    } while (0)

#endif
