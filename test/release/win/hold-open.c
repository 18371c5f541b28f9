/*
 * hold-open.exe: holds a file open, as another Windows program would (a viewer, a scanner, a
 * second airsign), so test/release/win-x64.test.ts can sign that file in place under wine.
 *
 * Usage: hold-open.exe <file> <share> <ready-file> <release-file>
 *   share: none | r | rw | rwd  (FILE_SHARE_READ, _WRITE, _DELETE granted to others)
 * Opens <file> for reading with that share mode, writes "open" to <ready-file> (or "error <code>"
 * and exits 1), then waits until <release-file> exists (at most 120 s) and closes it.
 *
 * Build: x86_64-w64-mingw32-gcc -O2 -o hold-open.exe hold-open.c
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

static DWORD share_of(const char *spec) {
  DWORD share = 0;
  if (strcmp(spec, "none") == 0) return 0;
  for (const char *c = spec; *c; c++) {
    if (*c == 'r') share |= FILE_SHARE_READ;
    else if (*c == 'w') share |= FILE_SHARE_WRITE;
    else if (*c == 'd') share |= FILE_SHARE_DELETE;
    else return (DWORD)-1;
  }
  return share;
}

static void say(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return;
  fputs(text, f);
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 5 || share_of(argv[2]) == (DWORD)-1) {
    fprintf(stderr, "usage: hold-open.exe <file> none|r|rw|rwd <ready-file> <release-file>\n");
    return 2;
  }
  HANDLE file = CreateFileA(argv[1], GENERIC_READ, share_of(argv[2]), NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) {
    char text[32];
    snprintf(text, sizeof text, "error %lu", GetLastError());
    say(argv[3], text);
    return 1;
  }
  say(argv[3], "open");
  for (int waited = 0; waited < 120000 && GetFileAttributesA(argv[4]) == INVALID_FILE_ATTRIBUTES; waited += 50) Sleep(50);
  CloseHandle(file);
  return 0;
}
