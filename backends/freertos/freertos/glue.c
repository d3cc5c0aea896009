/* Glue between threadteam-freertos and the FreeRTOS kernel (POSIX port). */
#include "FreeRTOS.h"
#include "task.h"

/* "Interrupts" on the POSIX port are signal handlers (the SIGALRM tick). No Rust code runs
 * in one, so we are never inside an interrupt. */
BaseType_t xPortIsInsideInterrupt(void) {
    return pdFALSE;
}

/* ---- Tasks that may return ------------------------------------------------------------
 * On the POSIX port a deleted task's pthread ends with a forced unwind (pthread_exit or
 * pthread_cancel), and glibc aborts the process when that unwind meets a Rust frame. So a
 * task must not be deleted while Rust code is on its stack: every task enters through this
 * C function, which calls the Rust main, lets it return, and only then deletes the task with
 * nothing but C frames on the stack. (On MCU ports this is simply a clean task exit.) */

typedef void (*threadteam_main_t)(void *);

typedef struct {
    threadteam_main_t main;
    void *arg;
} threadteam_entry_t;

static void threadteam_task_entry(void *param) {
    threadteam_entry_t entry = *(threadteam_entry_t *)param;
    vPortFree(param);
    entry.main(entry.arg);
    vTaskDelete(NULL);
    for (;;) {
    }
}

/* Returns 1 when the task was created, 0 when the FreeRTOS heap is exhausted, -1 when the
 * stack depth does not fit configSTACK_DEPTH_TYPE. Nothing is leaked on failure. */
long threadteam_task_create(threadteam_main_t main, void *arg, const char *name, unsigned long stack_words,
                            unsigned long priority, TaskHandle_t *handle) {
    if ((unsigned long)(configSTACK_DEPTH_TYPE)stack_words != stack_words) {
        return -1;
    }
    threadteam_entry_t *entry = pvPortMalloc(sizeof *entry);
    if (entry == NULL) {
        return 0;
    }
    entry->main = main;
    entry->arg = arg;
    /* If the new task has a higher priority it may run, and free `entry`, before this returns. */
    if (xTaskCreate(threadteam_task_entry, name, (configSTACK_DEPTH_TYPE)stack_words, entry, (UBaseType_t)priority,
                    handle) != pdPASS) {
        vPortFree(entry);
        return 0;
    }
    return 1;
}

/* Configuration values the Rust side checks against (C types differ from freertos-next's
 * hard-coded 32-bit ones on 64-bit hosts, so widen everything to unsigned long). */
unsigned long threadteam_max_priorities(void) {
    return configMAX_PRIORITIES;
}

unsigned long threadteam_tick_rate_hz(void) {
    return configTICK_RATE_HZ;
}
