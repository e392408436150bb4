#include "store/sqlite_store.h"

#include <sqlite3.h>

#include "store/memory_store.h"

namespace wharf::store {
namespace {

// One prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() { return stmt_; }
  bool valid() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

Status SqliteError(sqlite3* db, std::string_view what) {
  return Status::Internal(std::string(what) + ": " + sqlite3_errmsg(db));
}

class SqliteJournal final : public Journal {
 public:
  explicit SqliteJournal(sqlite3* db) : db_(db) {}
  ~SqliteJournal() override { sqlite3_close(db_); }

  Status Append(const std::vector<Event>& events, int64_t revision) override {
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return SqliteError(db_, "begin");
    }
    Status st = Write(events, revision);
    if (!st.ok()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return st;
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      Status err = SqliteError(db_, "commit");
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return err;
    }
    return Status::OK();
  }

  Status Wipe(int64_t revision) override {
    std::string sql = "BEGIN IMMEDIATE; DELETE FROM kv; UPDATE meta SET revision = " +
                      std::to_string(revision) + "; COMMIT;";
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Status err = SqliteError(db_, "wipe");
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return err;
    }
    return Status::OK();
  }

 private:
  Status Write(const std::vector<Event>& events, int64_t revision) {
    Statement put(db_,
                  "INSERT OR REPLACE INTO kv(key, value, create_rev, mod_rev) VALUES(?,?,?,?)");
    Statement del(db_, "DELETE FROM kv WHERE key = ?");
    Statement meta(db_, "UPDATE meta SET revision = ?");
    if (!put.valid() || !del.valid() || !meta.valid()) return SqliteError(db_, "prepare");
    for (const Event& e : events) {
      sqlite3_stmt* s = e.type == Event::Type::kPut ? put.get() : del.get();
      sqlite3_reset(s);
      sqlite3_bind_text(s, 1, e.kv.key.data(), static_cast<int>(e.kv.key.size()), SQLITE_STATIC);
      if (e.type == Event::Type::kPut) {
        sqlite3_bind_blob(s, 2, e.kv.value.data(), static_cast<int>(e.kv.value.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, e.kv.create_revision);
        sqlite3_bind_int64(s, 4, e.kv.mod_revision);
      }
      if (sqlite3_step(s) != SQLITE_DONE) return SqliteError(db_, "write " + e.kv.key);
    }
    sqlite3_bind_int64(meta.get(), 1, revision);
    if (sqlite3_step(meta.get()) != SQLITE_DONE) return SqliteError(db_, "write revision");
    return Status::OK();
  }

  sqlite3* db_;
};

constexpr const char* kSchema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB NOT NULL,"
    " create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta(revision INTEGER NOT NULL);"
    "INSERT INTO meta(revision) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM meta);";

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status err = Status::Unavailable("open " + path + ": " + sqlite3_errmsg(db));
    sqlite3_close(db);
    return err;
  }
  auto journal = std::make_unique<SqliteJournal>(db);  // owns db from here on
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db, "schema of " + path);
  }
  std::vector<KeyValue> initial;
  {
    Statement rows(db, "SELECT key, value, create_rev, mod_rev FROM kv ORDER BY key");
    if (!rows.valid()) return SqliteError(db, "load");
    int rc;
    while ((rc = sqlite3_step(rows.get())) == SQLITE_ROW) {
      KeyValue kv;
      kv.key.assign(reinterpret_cast<const char*>(sqlite3_column_text(rows.get(), 0)),
                    sqlite3_column_bytes(rows.get(), 0));
      kv.value.assign(static_cast<const char*>(sqlite3_column_blob(rows.get(), 1)),
                      sqlite3_column_bytes(rows.get(), 1));
      kv.create_revision = sqlite3_column_int64(rows.get(), 2);
      kv.mod_revision = sqlite3_column_int64(rows.get(), 3);
      initial.push_back(std::move(kv));
    }
    if (rc != SQLITE_DONE) return SqliteError(db, "load");
  }
  int64_t revision = 0;
  {
    Statement meta(db, "SELECT revision FROM meta");
    if (!meta.valid() || sqlite3_step(meta.get()) != SQLITE_ROW) return SqliteError(db, "meta");
    revision = sqlite3_column_int64(meta.get(), 0);
  }
  return std::unique_ptr<Store>(
      std::make_unique<MemoryStore>(std::move(journal), std::move(initial), revision));
}

}  // namespace wharf::store
