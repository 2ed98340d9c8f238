#include "cli/cli.h"

int main(int argc, char** argv) {
  return pgbak::run_cli(argc, argv);
}
