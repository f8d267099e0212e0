/*
 * reachhub: the supervisor watches each server (address and vtund port)
 * once for all the workers whose tunnels go there (reach.h).  A worker
 * asks when its tunnel is broken, and its question stays open: the first
 * answer after it goes to that worker (a silence once), and the moment the
 * server answers again every worker waiting on it hears so at once.  A hub
 * client with a thousand tunnels to one server makes one connection
 * attempt per tick, not a thousand, and its workers sleep meanwhile (they
 * ask again only every few seconds, tunnel.h).
 */
#ifndef VTUNDFIX_REACHHUB_H
#define VTUNDFIX_REACHHUB_H

#include <stdint.h>

#define REACHHUB_EVERY_MS	250

/* CB(arg, answered) for each worker that asked, by its opaque id. */
typedef void (*reachhub_cb)(uint64_t who, int answered);

void	 reachhub_init(reachhub_cb cb);
/* WHO asks about HOST:PORT; 0, or -1 (the host does not resolve). */
int	 reachhub_ask(uint64_t who, const char *host, uint16_t port);
/* WHO is gone: forget its questions. */
void	 reachhub_forget(uint64_t who);
void	 reachhub_stop(void);

#endif
