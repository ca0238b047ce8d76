/* The session states.  Each lives in its own file under src/bbs/. */
#ifndef CARRIER_BBS_STATES_H
#define CARRIER_BBS_STATES_H

#include "bbs/session.h"

/* welcome.c: the welcome screen and a line that answers what is typed. */
extern const struct session_state state_welcome;

#endif
