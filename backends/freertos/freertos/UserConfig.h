/* Included at the top of freertos-next's FreeRTOSConfig.h (freertos_build::Builder::user_config_dir). */
#ifndef THREADTEAM_USER_CONFIG_H
#define THREADTEAM_USER_CONFIG_H

/* freertos-next's shim.c calls xPortIsInsideInterrupt(), which only the Cortex-M ports
 * provide; glue.c defines it for the POSIX port. Declared here so shim.c sees a prototype. */
long xPortIsInsideInterrupt(void);

/* FreeRtosUtils::scheduler_state() needs xTaskGetSchedulerState(), compiled only with this. */
#define INCLUDE_xTaskGetSchedulerState 1

#endif
