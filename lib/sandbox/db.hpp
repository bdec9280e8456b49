// The sandbox's database layer is the project's SQLite wrapper (lib/portal/util/sqlite.hpp).
#pragma once
#include "portal/util/sqlite.hpp"

namespace portal::sandbox {
using sqlite::Database;
using sqlite::DbValue;
using sqlite::Statement;
using sqlite::Transaction;
}  // namespace portal::sandbox
