/* Glue between threadteam-freertos and the FreeRTOS kernel, for the POSIX port (host tests)
 * and the Cortex-M ports alike. FreeRTOS's API is mostly macros; each one the Rust side needs
 * is a plain function here. C types are spelled as the ports spell them (`long`,
 * `unsigned long`): freertos-next's hard-coded 32-bit aliases do not match 64-bit hosts. */
#include <limits.h>

#include "FreeRTOS.h"
#include "semphr.h"
#include "task.h"

/* The Rust side (src/ffi.rs). */
extern void threadteam_freertos_tick_hook(void);
extern void threadteam_freertos_stack_overflow(const char *task_name);

/* The Rust storage for static kernel objects (src/ffi.rs) must hold the C structures. */
_Static_assert(sizeof(StaticTask_t) <= THREADTEAM_TCB_BYTES, "StaticTask_t outgrew the Rust TCB buffer");
_Static_assert(sizeof(StaticSemaphore_t) <= THREADTEAM_SEMAPHORE_BYTES,
               "StaticSemaphore_t outgrew the Rust semaphore buffer");
_Static_assert(sizeof(StackType_t) == sizeof(void *), "the Rust side allocates stacks in pointer-sized words");
_Static_assert(sizeof(TickType_t) == sizeof(unsigned long), "ticks cross the FFI as unsigned long");
_Static_assert(sizeof(UBaseType_t) == sizeof(unsigned long), "UBaseType_t crosses the FFI as unsigned long");

/* ---- Interrupt context ----------------------------------------------------------------- */

#if !defined(__ARM_ARCH)
/* The POSIX port's only interrupt is its tick, a signal handler that runs the tick hook. */
static volatile BaseType_t xInTickHook = pdFALSE;

BaseType_t xPortIsInsideInterrupt(void) {
    return xInTickHook;
}
#endif

void vApplicationTickHook(void) {
#if !defined(__ARM_ARCH)
    xInTickHook = pdTRUE;
#endif
    threadteam_freertos_tick_hook();
#if !defined(__ARM_ARCH)
    xInTickHook = pdFALSE;
#endif
}

void vApplicationStackOverflowHook(TaskHandle_t xTask, char *pcTaskName) {
    (void)xTask;
    threadteam_freertos_stack_overflow(pcTaskName);
}

long threadteam_in_isr(void) {
    return xPortIsInsideInterrupt() != pdFALSE;
}

/* After a FromISR call: switch to the task it woke, if that one outranks the interrupted task. */
static void prvYieldFromISR(BaseType_t xWoken) {
#if defined(__ARM_ARCH)
    portYIELD_FROM_ISR(xWoken);
#else
    /* Inside the POSIX tick handler the port's yield would switch threads in the middle of
     * the signal handler. The FromISR call has set xYieldPending instead, and the tick
     * handler switches tasks when it returns. */
    (void)xWoken;
#endif
}

/* ---- Critical sections (the critical-section implementation, src/critical.rs) ------------ */

void threadteam_enter_critical(void) {
    taskENTER_CRITICAL();
}

void threadteam_exit_critical(void) {
    taskEXIT_CRITICAL();
}

unsigned long threadteam_enter_critical_from_isr(void) {
    return (unsigned long)taskENTER_CRITICAL_FROM_ISR();
}

void threadteam_exit_critical_from_isr(unsigned long saved) {
    taskEXIT_CRITICAL_FROM_ISR((UBaseType_t)saved);
}

/* ---- Tasks that may return ------------------------------------------------------------
 * On the POSIX port a deleted task's pthread ends with a forced unwind (pthread_exit or
 * pthread_cancel), and glibc aborts the process when that unwind meets a Rust frame. So a
 * task must not be deleted while Rust code is on its stack: every task enters through one of
 * these C functions, which calls the Rust main, lets it return, and only then deletes the
 * task with nothing but C frames on the stack. (On MCU ports this is simply a clean exit.) */

typedef void (*threadteam_main_t)(void *);

typedef struct {
    threadteam_main_t main;
    void *arg;
} threadteam_entry_t;

/* A task of a static `TaskWorker`: `param` points at an entry inside that worker. */
static void threadteam_static_entry(void *param) {
    const threadteam_entry_t *entry = (const threadteam_entry_t *)param;
    entry->main(entry->arg);
    vTaskDelete(NULL);
    for (;;) {
    }
}

/* Creates a task in caller-provided memory (nothing from any heap). NULL when the stack
 * depth does not fit configSTACK_DEPTH_TYPE. */
TaskHandle_t threadteam_task_create_static(const threadteam_entry_t *entry, const char *name, unsigned long stack_words,
                                           StackType_t *stack, StaticTask_t *tcb, unsigned long priority) {
    if ((unsigned long)(configSTACK_DEPTH_TYPE)stack_words != stack_words) {
        return NULL;
    }
    return xTaskCreateStatic(threadteam_static_entry, name, (configSTACK_DEPTH_TYPE)stack_words, (void *)entry,
                             (UBaseType_t)priority, stack, tcb);
}

#if configSUPPORT_DYNAMIC_ALLOCATION
/* A task from the FreeRTOS heap: its entry is copied to the heap too, and freed on entry. */
static void threadteam_heap_entry(void *param) {
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
    if (xTaskCreate(threadteam_heap_entry, name, (configSTACK_DEPTH_TYPE)stack_words, entry, (UBaseType_t)priority,
                    handle) != pdPASS) {
        vPortFree(entry);
        return 0;
    }
    return 1;
}

unsigned long threadteam_heap_free(void) {
    return (unsigned long)xPortGetFreeHeapSize();
}

unsigned long threadteam_heap_min_ever_free(void) {
    return (unsigned long)xPortGetMinimumEverFreeHeapSize();
}

unsigned long threadteam_heap_total(void) {
    return (unsigned long)configTOTAL_HEAP_SIZE;
}
#endif

void *threadteam_current_task(void) {
    return xTaskGetCurrentTaskHandle();
}

/* ---- Task notifications (TaskWorker) ---------------------------------------------------- */

void threadteam_task_notify(TaskHandle_t task, uint32_t bits) {
    if (xPortIsInsideInterrupt() != pdFALSE) {
        BaseType_t xWoken = pdFALSE;
        (void)xTaskNotifyFromISR(task, bits, eSetBits, &xWoken);
        prvYieldFromISR(xWoken);
    } else {
        (void)xTaskNotify(task, bits, eSetBits);
    }
}

/* Waits up to `ticks` for a notification and clears every bit; 1 with the bits, 0 on timeout. */
long threadteam_task_notify_wait(unsigned long ticks, uint32_t *bits) {
    return xTaskNotifyWait(0, UINT32_MAX, bits, (TickType_t)ticks) == pdTRUE;
}

/* ---- Semaphores and mutexes, always in caller-provided memory --------------------------- */

SemaphoreHandle_t threadteam_mutex_create_static(StaticSemaphore_t *buffer) {
    return xSemaphoreCreateMutexStatic(buffer);
}

SemaphoreHandle_t threadteam_binary_create_static(StaticSemaphore_t *buffer) {
    return xSemaphoreCreateBinaryStatic(buffer);
}

void threadteam_semaphore_delete(SemaphoreHandle_t semaphore) {
    vSemaphoreDelete(semaphore);
}

long threadteam_semaphore_take(SemaphoreHandle_t semaphore, unsigned long ticks) {
    return xSemaphoreTake(semaphore, (TickType_t)ticks) == pdTRUE;
}

/* Gives a binary semaphore, from a task or an interrupt handler. */
void threadteam_semaphore_give(SemaphoreHandle_t semaphore) {
    if (xPortIsInsideInterrupt() != pdFALSE) {
        BaseType_t xWoken = pdFALSE;
        (void)xSemaphoreGiveFromISR(semaphore, &xWoken);
        prvYieldFromISR(xWoken);
    } else {
        (void)xSemaphoreGive(semaphore);
    }
}

/* Gives a mutex back: tasks only (FreeRTOS mutexes have owners; interrupts cannot hold one). */
void threadteam_mutex_give(SemaphoreHandle_t mutex) {
    (void)xSemaphoreGive(mutex);
}

/* ---- Time, scheduler, statistics ----------------------------------------------------------- */

void threadteam_delay(unsigned long ticks) {
    vTaskDelay((TickType_t)ticks);
}

unsigned long threadteam_tick_count(void) {
    if (xPortIsInsideInterrupt() != pdFALSE) {
        return (unsigned long)xTaskGetTickCountFromISR();
    }
    return (unsigned long)xTaskGetTickCount();
}

unsigned long threadteam_max_delay(void) {
    return (unsigned long)portMAX_DELAY;
}

unsigned long threadteam_task_count(void) {
    return (unsigned long)uxTaskGetNumberOfTasks();
}

long threadteam_scheduler_started(void) {
    return xTaskGetSchedulerState() != taskSCHEDULER_NOT_STARTED;
}

void threadteam_start_scheduler(void) {
    vTaskStartScheduler();
}

/* The calling task's least free stack so far, in words (its high-water mark). */
unsigned long threadteam_stack_high_water_mark(void) {
    return (unsigned long)uxTaskGetStackHighWaterMark(NULL);
}

/* Configuration values the Rust side checks against. */
unsigned long threadteam_max_priorities(void) {
    return configMAX_PRIORITIES;
}

unsigned long threadteam_tick_rate_hz(void) {
    return configTICK_RATE_HZ;
}

unsigned long threadteam_tcb_size(void) {
    return sizeof(StaticTask_t);
}

unsigned long threadteam_semaphore_size(void) {
    return sizeof(StaticSemaphore_t);
}
