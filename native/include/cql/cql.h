/*
 * cql/cql.h - umbrella header of the CQL protocol core.
 */
#ifndef CQL_CQL_H
#define CQL_CQL_H

#include "cql/common.h"
#include "cql/buf.h"
#include "cql/frame.h"
#include "cql/types.h"
#include "cql/messages.h"
#include "cql/lz4.h"
#include "cql/murmur3.h"
#include "cql/streams.h"

#endif /* CQL_CQL_H */
