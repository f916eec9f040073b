// The http module's face: an HTTP/1.1 server with a router, and a libcurl client. See each
// header for its contract; nothing here exposes the underlying libraries.
#pragma once

#include "http/client.h"  // IWYU pragma: export
#include "http/router.h"  // IWYU pragma: export
#include "http/server.h"  // IWYU pragma: export
#include "http/types.h"   // IWYU pragma: export
