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
		return &channel_mail_ops;
	case CONFIG_CHANNEL_SMS:
		return &channel_sms_ops;
	}
	return NULL;
}
