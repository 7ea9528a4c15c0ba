/*
 * ferry guest NIC watcher: brings every network interface up and prints the NIC list
 * (name, MAC, driver) on stdout whenever it changes, as one line:
 *
 *   FERRY-NICS: eth0 52:54:00:00:00:11 e1000e; eth1 52:54:00:00:00:12 virtio_net
 *   FERRY-NICS: none
 *
 * Polls /sys/class/net every 50 ms inside the guest (cheap; no fork per poll).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void read_first_line(const char *path, char *out, size_t size) {
  out[0] = '\0';
  FILE *f = fopen(path, "r");
  if (f == NULL) return;
  if (fgets(out, (int)size, f) != NULL) out[strcspn(out, "\n")] = '\0';
  fclose(f);
}

static void driver_of(const char *ifname, char *out, size_t size) {
  char link[512], target[512];
  snprintf(link, sizeof link, "/sys/class/net/%s/device/driver", ifname);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 0) {
    snprintf(out, size, "-");
    return;
  }
  target[n] = '\0';
  snprintf(out, size, "%s", basename(target));
}

static void bring_up(int sock, const char *ifname) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  size_t len = strlen(ifname);
  if (len >= IFNAMSIZ) return; /* the kernel never makes such names */
  memcpy(ifr.ifr_name, ifname, len);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    ioctl(sock, SIOCSIFFLAGS, &ifr);
  }
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden_or_lo(const struct dirent *e) {
  return e->d_name[0] != '.' && strcmp(e->d_name, "lo") != 0;
}

int main(void) {
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  static char previous[8192] = "(unset)", current[8192];
  const struct timespec poll = {0, 50 * 1000 * 1000};
  for (;;) {
    struct dirent **names;
    int count = scandir("/sys/class/net", &names, not_hidden_or_lo, by_name);
    current[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < count; i++) {
      char mac_path[512], mac[64], driver[128];
      snprintf(mac_path, sizeof mac_path, "/sys/class/net/%s/address", names[i]->d_name);
      read_first_line(mac_path, mac, sizeof mac);
      driver_of(names[i]->d_name, driver, sizeof driver);
      if (sock >= 0) bring_up(sock, names[i]->d_name);
      used += (size_t)snprintf(current + used, sizeof current - used, "%s%s %s %s",
                               used ? "; " : "", names[i]->d_name, mac, driver);
      if (used >= sizeof current) used = sizeof current - 1;
      free(names[i]);
    }
    if (count > 0) free(names);
    if (current[0] == '\0') snprintf(current, sizeof current, "none");
    if (strcmp(current, previous) != 0) {
      printf("FERRY-NICS: %s\n", current);
      fflush(stdout);
      memcpy(previous, current, sizeof previous);
    }
    nanosleep(&poll, NULL);
  }
}
