/* What the files of src/ssh/ share. */
#ifndef CARRIER_SSH_INTERNAL_H
#define CARRIER_SSH_INTERNAL_H

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "ssh/transport.h"

#define SSH_HOST_KEYS 2          /* Ed25519, RSA */

struct ssh_host {
	ssh_bind bind;           /* holds the keys; sessions are accepted through it */
	char fingerprints[SSH_HOST_KEYS][128];
};

#endif
