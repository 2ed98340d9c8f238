// Running the user's $PGBAK/scripts/fetch, the restore side of the script contract:
// `fetch list`, `fetch get REL_PATH` (the file's bytes on stdout; exit 1 and nothing for a missing
// file) and `fetch delete BASE_TS`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "io/sink.h"
#include "repo/backup_dir.h"

namespace pgbak {

inline constexpr const char* kFetchScript = "scripts/fetch";

class FetchScript {
 public:
  // True if the backup directory has a scripts/fetch (a link to it counts, even when dangling).
  static bool exists(const BackupDir& dir);

  // Checks who would run the script: root runs it as the owner of scripts/fetch (the link itself
  // when it is one); anyone else only a script they or root own. Throws Error otherwise.
  FetchScript(const BackupDir& dir, const Config& config);

  // Every remote file, as the script printed it (paths relative to the destination); a failed
  // listing is tried again fetch-retries times, 1 s apart.
  std::vector<std::string> list() const;

  // Streams the remote file into `out`. Returns false when the script says it is missing (exit 1
  // with nothing on stdout). `enough`, if given, is asked after each chunk: once it says yes the
  // script is stopped and get returns true. Throws Error on any other failure, including a
  // script that writes nothing for fetch-timeout seconds; never retries (callers decide).
  bool get(const std::string& rel, Sink& out, const std::function<bool()>& enough = {}) const;

  // get, tried again fetch-retries times (1 s apart) after a failure; `restart` is called before
  // each new attempt to drop what the failed one wrote.
  bool get_retrying(const std::string& rel, Sink& out, const std::function<void()>& restart,
                    const std::function<bool()>& enough = {}) const;

  // Removes a whole generation from the remote.
  void remove_generation(const std::string& name) const;

  // "scripts/fetch get REL" as shown in messages.
  std::string describe(const std::vector<std::string>& args) const;

 private:
  // Runs the script with args; stdout goes to `out` (checked against `enough`), stderr's tail to
  // `err`. Returns the wait status and how many bytes came on stdout.
  struct Outcome {
    int status = 0;
    uint64_t bytes = 0;
    bool stopped = false;
    std::string err;
  };
  Outcome run(const std::vector<std::string>& args, Sink& out,
              const std::function<bool()>& enough) const;

  std::string dir_;
  std::string script_;
  // Runs f, again after an Error while attempts are left (calling restart first).
  template <typename F>
  auto retrying(F&& f, const std::function<void()>& restart) const;

  double timeout_;
  int retries_;
  std::optional<std::pair<uid_t, gid_t>> run_as_;
  std::string home_;
};

}  // namespace pgbak
