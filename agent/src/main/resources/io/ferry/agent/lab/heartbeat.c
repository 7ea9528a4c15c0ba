/*
 * ferry guest heartbeat: writes "<seq>\n" to a serial port every interval (default 1 ms),
 * so the host can see, from outside, exactly when the guest stops and starts running.
 * Optionally dirties guest memory at a steady rate, to give migrations real work.
 *
 *   heartbeat [--interval-us N] [--dirty-mbps N] [--dirty-buffer-mib N] DEVICE
 *
 * Built on the host with `gcc -static -O2` and placed in the guest initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static long parse_long(const char *flag, const char *value) {
  char *end;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (errno || *end || v < 0) {
    fprintf(stderr, "heartbeat: %s needs a non-negative integer, got '%s'\n", flag, value);
    exit(2);
  }
  return v;
}

static void add_ns(struct timespec *t, long ns) {
  t->tv_nsec += ns;
  while (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    t->tv_sec++;
  }
}

static int before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      die("heartbeat: write");
    }
    buf += n;
    len -= (size_t)n;
  }
}

int main(int argc, char **argv) {
  long interval_us = 1000, dirty_mbps = 0, buffer_mib = 64;
  const char *device = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--interval-us") && i + 1 < argc) {
      interval_us = parse_long(argv[i], argv[i + 1]);
      i++;
    } else if (!strcmp(argv[i], "--dirty-mbps") && i + 1 < argc) {
      dirty_mbps = parse_long(argv[i], argv[i + 1]);
      i++;
    } else if (!strcmp(argv[i], "--dirty-buffer-mib") && i + 1 < argc) {
      buffer_mib = parse_long(argv[i], argv[i + 1]);
      i++;
    } else if (argv[i][0] != '-' && device == NULL) {
      device = argv[i];
    } else {
      fprintf(stderr,
              "usage: heartbeat [--interval-us N] [--dirty-mbps N] [--dirty-buffer-mib N] DEVICE\n");
      return 2;
    }
  }
  if (device == NULL || interval_us == 0 || (dirty_mbps > 0 && buffer_mib == 0)) {
    fprintf(stderr, "heartbeat: need a DEVICE, an interval > 0 and a dirty buffer > 0\n");
    return 2;
  }

  int fd = open(device, O_WRONLY | O_NOCTTY);
  if (fd < 0) die("heartbeat: open");
  struct termios tio;
  if (tcgetattr(fd, &tio) == 0) {
    /* Raw: no newline translation, no echo; the host parses exact bytes. */
    cfmakeraw(&tio);
    cfsetospeed(&tio, B115200);
    tcsetattr(fd, TCSANOW, &tio);
  }

  const long page = 4096;
  size_t buffer_bytes = (size_t)buffer_mib << 20;
  unsigned char *buffer = NULL;
  if (dirty_mbps > 0) {
    buffer = mmap(NULL, buffer_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buffer == MAP_FAILED) die("heartbeat: mmap");
  }
  /* Pages to dirty per tick, in millionths, so low rates still accumulate exactly. */
  const long long micro_pages_per_tick =
      (long long)dirty_mbps * (1048576LL / page) * interval_us; /* MiB/s * pages/MiB * us */
  long long owed_micro_pages = 0;
  size_t next_page = 0;

  unsigned long long seq = 0;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  char line[32];
  for (;;) {
    int len = snprintf(line, sizeof line, "%llu\n", ++seq);
    write_all(fd, line, (size_t)len);

    if (buffer != NULL) {
      owed_micro_pages += micro_pages_per_tick;
      for (; owed_micro_pages >= 1000000; owed_micro_pages -= 1000000) {
        buffer[next_page * page] = (unsigned char)seq;
        next_page = (next_page + 1) % (buffer_bytes / page);
      }
    }

    add_ns(&next, interval_us * 1000L);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (before(&next, &now)) {
      /* Fell behind (a paused guest, a slow emulator): restart the schedule, never burst. */
      next = now;
      continue;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
    }
  }
}
