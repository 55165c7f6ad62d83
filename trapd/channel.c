/*
 * channel.c - the table of built-in channel types (see channel.h).
 */
#include <stddef.h>

#include "channel.h"

const struct channel_ops *channel_ops_for(enum config_channel_type type)
{
	switch (type) {
	case CONFIG_CHANNEL_LOG:
		return &channel_log_ops;
	case CONFIG_CHANNEL_SNMP:
		return &channel_snmp_ops;
	case CONFIG_CHANNEL_MAIL:
	case CONFIG_CHANNEL_SMS:
		break; /* not built yet: the daemon refuses such a config */
	}
	return NULL;
}
