/*
 * clock: the one monotonic clock of vtundfix (CLOCK_MONOTONIC), in
 * milliseconds and microseconds.  Every deadline, timer and age is measured
 * with it; wall-clock time (time(2)) is only for what people read.
 */
#ifndef VTUNDFIX_CLOCK_H
#define VTUNDFIX_CLOCK_H

#include <stdint.h>

uint64_t clock_ms(void);
uint64_t clock_us(void);

#endif
