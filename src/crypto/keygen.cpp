// `pgbak keygen PATH`: writes a fresh encryption key file and prints its key id.
#include <iostream>

#include "cli/commands.h"
#include "crypto/keys.h"

namespace pgbak {

int run_keygen(Invocation& inv) {
  const std::string& path = inv.args[0];
  KeyId id = write_new_key_file(path, inv.dir);
  std::cout << key_id_hex(id) << "\n";
  if (inv.verbosity >= 0) {
    std::cerr << "pgbak: wrote a new key to '" << path
              << "' (HINT: keep a copy somewhere safe off this machine: without it, nothing "
                 "encrypted with it can be restored)\n";
  }
  return 0;
}

}  // namespace pgbak
