/*
 * clock: the one monotonic clock of vtundfix (CLOCK_MONOTONIC), in
 * milliseconds and microseconds.  Every deadline, timer and age is measured
 * with it; wall-clock time (time(2), clock_wall_us) is only for what people
 * read and for numbers that must grow across restarts (a probe epoch).
 */
#ifndef VTUNDFIX_CLOCK_H
#define VTUNDFIX_CLOCK_H

#include <stdint.h>

uint64_t clock_ms(void);
uint64_t clock_us(void);
/* Wall-clock time in microseconds since the epoch (a probe epoch). */
uint64_t clock_wall_us(void);

#endif
