/* Builds, through the C ABI, an x86_64 ELF object whose main calls puts("hello from C ABI")
 * and returns 42, with a line table; writes it to argv[1]. Then makes bad calls, each of which
 * must return an error code and a message naming the place, never abort. Exit 0: all good. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objforge.h"

static int failures = 0;

#define CHECK(call)                                                                      \
    do {                                                                                 \
        objforge_code code_ = (call);                                                    \
        if (code_ != OBJFORGE_OK) {                                                      \
            fprintf(stderr, "%s:%d: %s -> %d: %s\n", __FILE__, __LINE__, #call, code_,   \
                    err.message);                                                        \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

/* A call that must fail with `want` and a message containing `place`. */
static void expect(objforge_code got, const objforge_error *err, objforge_code want,
                   const char *place, int line) {
    if (got != want || err->code != want || strstr(err->message, place) == NULL) {
        fprintf(stderr, "line %d: got %d (%d) \"%s\", want %d naming \"%s\"\n", line, got,
                err->code, err->message, want, place);
        failures++;
    } else {
        printf("error as expected: %s\n", err->message);
    }
}
#define EXPECT(call, want, place) expect((call), &err, (want), (place), __LINE__)

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: hello OUT.o\n");
        return 2;
    }
    objforge_error err;
    objforge_object *obj = NULL;
    CHECK(objforge_new("x86_64-unknown-linux-gnu", &obj, &err));

    /* main: push rbp... kept minimal:
     *   sub rsp, 8; lea rdi, [rip+msg]; call puts; mov eax, 42; add rsp, 8; ret */
    static const uint8_t code[] = {
        0x48, 0x83, 0xec, 0x08,                   /* 0: sub rsp, 8 */
        0x48, 0x8d, 0x3d, 0x00, 0x00, 0x00, 0x00, /* 4: lea rdi, [rip+0] */
        0xe8, 0x00, 0x00, 0x00, 0x00,             /* 11: call puts */
        0xb8, 0x2a, 0x00, 0x00, 0x00,             /* 16: mov eax, 42 */
        0x48, 0x83, 0xc4, 0x08,                   /* 21: add rsp, 8 */
        0xc3,                                     /* 25: ret */
    };
    static const char msg[] = "hello from the C ABI";
    uint32_t text, rodata, main_sym, msg_sym, puts_sym, file;
    CHECK(objforge_add_section(obj, ".text", "text", code, sizeof code, 16, &text, &err));
    CHECK(objforge_add_section(obj, ".rodata.str1.1", "rodata", (const uint8_t *)msg,
                               sizeof msg, 1, &rodata, &err));
    CHECK(objforge_section_set_flags(obj, rodata, OBJFORGE_SECTION_MERGE_STRINGS, 1, &err));
    CHECK(objforge_add_symbol(obj, "main", text, 0, "func", "global", NULL, sizeof code,
                              &main_sym, &err));
    CHECK(objforge_add_symbol(obj, ".Lmsg", rodata, 0, "object", NULL, NULL, sizeof msg,
                              &msg_sym, &err));
    CHECK(objforge_add_symbol(obj, "puts", OBJFORGE_NONE, 0, NULL, NULL, NULL, 0, &puts_sym,
                              &err));
    CHECK(objforge_add_reloc(obj, text, 7, msg_sym, OBJFORGE_RELOC_PCREL32, -4, NULL, &err));
    CHECK(objforge_add_reloc_named(obj, text, 12, puts_sym, "x86_branch32", -4, NULL, &err));

    CHECK(objforge_debug_begin(obj, "hello.mini", "/tmp", 0, &err));
    CHECK(objforge_debug_set_producer(obj, "objforge C ABI test", &err));
    CHECK(objforge_debug_add_file(obj, "hello.mini", &file, &err));
    CHECK(objforge_debug_add_line(obj, text, 0, file, 1, 1, OBJFORGE_LINE_IS_STMT, &err));
    CHECK(objforge_debug_add_line(obj, text, 4, file, 2, 5, OBJFORGE_LINE_IS_STMT, &err));
    CHECK(objforge_debug_add_line(obj, text, 16, file, 3, 5, OBJFORGE_LINE_IS_STMT, &err));
    CHECK(objforge_debug_add_line(obj, text, sizeof code, 0, 0, 0, OBJFORGE_LINE_END_SEQUENCE,
                                  &err));
    CHECK(objforge_debug_add_function(obj, "main", text, 0, sizeof code, file, 1, 1, &err));

    /* Size first, then into a buffer; a too-small buffer is an error, not an overflow. */
    size_t len = 0;
    CHECK(objforge_write(obj, NULL, 0, &len, &err));
    uint8_t small[4];
    size_t len2 = 0;
    EXPECT(objforge_write(obj, small, sizeof small, &len2, &err), OBJFORGE_ERR_BUFFER_TOO_SMALL,
           "object:");
    if (len2 != len) {
        fprintf(stderr, "buffer-too-small reported %zu, size query %zu\n", len2, len);
        failures++;
    }
    uint8_t *buf = malloc(len);
    CHECK(objforge_write(obj, buf, len, &len2, &err));
    if (len < 64 || memcmp(buf, "\177ELF", 4) != 0) {
        fprintf(stderr, "not an ELF object\n");
        failures++;
    }
    CHECK(objforge_write_file(obj, argv[1], &err));
    FILE *f = fopen(argv[1], "rb");
    uint8_t *back = malloc(len);
    if (f == NULL || fread(back, 1, len, f) != len || memcmp(back, buf, len) != 0) {
        fprintf(stderr, "the file differs from the buffer\n");
        failures++;
    }
    if (f != NULL)
        fclose(f);
    free(back);
    free(buf);

    /* Bad calls: each returns an error naming its place. */
    objforge_object *none = (objforge_object *)1;
    EXPECT(objforge_new("pdp11-unknown-unix", &none, &err), OBJFORGE_ERR_INVALID, "target: unknown architecture");
    if (none != NULL) {
        fprintf(stderr, "a failed objforge_new left *out set\n");
        failures++;
    }
    EXPECT(objforge_new(NULL, &none, &err), OBJFORGE_ERR_ARGUMENT, "target: NULL");
    EXPECT(objforge_add_section(NULL, ".text", "text", NULL, 0, 1, NULL, &err),
           OBJFORGE_ERR_ARGUMENT, "object: NULL object");
    EXPECT(objforge_add_section(obj, ".x", "txt", NULL, 0, 1, NULL, &err), OBJFORGE_ERR_ARGUMENT,
           "sections[2].kind: unknown section kind \"txt\"");
    EXPECT(objforge_add_section(obj, "\xff\xfe", "text", NULL, 0, 1, NULL, &err),
           OBJFORGE_ERR_ARGUMENT, "sections[2].name: not UTF-8");
    EXPECT(objforge_add_symbol(obj, "x", 99, 0, NULL, NULL, NULL, 0, NULL, &err),
           OBJFORGE_ERR_ARGUMENT, "symbols[3].section: no section 99");
    EXPECT(objforge_add_symbol(obj, "x", text, 0, NULL, "globl", NULL, 0, NULL, &err),
           OBJFORGE_ERR_ARGUMENT, "symbols[3].binding: unknown binding \"globl\"");
    EXPECT(objforge_add_reloc(obj, text, 0, puts_sym, 9999, 0, NULL, &err),
           OBJFORGE_ERR_ARGUMENT, "relocations[2].kind: unknown relocation kind 9999");
    EXPECT(objforge_add_reloc_named(obj, text, 0, puts_sym, "abs65", 0, NULL, &err),
           OBJFORGE_ERR_ARGUMENT, "relocations[2].kind: unknown relocation kind \"abs65\"");
    EXPECT(objforge_section_set_flags(obj, text, 0x100, 0, &err), OBJFORGE_ERR_ARGUMENT,
           "sections[0].flags: unknown flag bits 0x100");
    EXPECT(objforge_debug_begin(obj, "x", "/", 3, &err), OBJFORGE_ERR_ARGUMENT,
           "debug.version: objforge writes DWARF 4 or 5, not 3");
    EXPECT(objforge_reloc_set_minus(obj, 77, 0, &err), OBJFORGE_ERR_ARGUMENT, "relocations[77]");
    EXPECT(objforge_write_file(obj, NULL, &err), OBJFORGE_ERR_ARGUMENT, "path: NULL");

    /* Errors the library finds when writing: offset past the end, a kind ELF x86_64 lacks. */
    uint32_t bad;
    CHECK(objforge_add_reloc(obj, text, 4100, puts_sym, OBJFORGE_RELOC_ABS32, 0, &bad, &err));
    EXPECT(objforge_write(obj, NULL, 0, &len, &err), OBJFORGE_ERR_INVALID,
           "relocations[2].offset");
    objforge_object *arm = NULL;
    CHECK(objforge_new("aarch64-unknown-linux-gnu", &arm, &err));
    uint32_t t2, s2;
    static const uint8_t four[4] = {0};
    CHECK(objforge_add_section(arm, ".text", "text", four, 4, 4, &t2, &err));
    CHECK(objforge_add_symbol(arm, "f", OBJFORGE_NONE, 0, NULL, NULL, NULL, 0, &s2, &err));
    CHECK(objforge_add_reloc(arm, t2, 0, s2, OBJFORGE_RELOC_X86_BRANCH32, 0, NULL, &err));
    EXPECT(objforge_write(arm, NULL, 0, &len, &err), OBJFORGE_ERR_UNSUPPORTED, "relocations[0]");
    /* A debug row in a section that does not exist. */
    CHECK(objforge_new("x86_64-pc-windows-msvc", &none, &err));
    CHECK(objforge_debug_begin(none, "a.c", "/", 0, &err));
    CHECK(objforge_debug_add_line(none, 5, 0, 0, 1, 0, OBJFORGE_LINE_IS_STMT, &err));
    EXPECT(objforge_write(none, NULL, 0, &len, &err), OBJFORGE_ERR_INVALID, "debug.lines[0]");
    /* A NULL error record is allowed; the code still says what happened. */
    if (objforge_add_section(NULL, NULL, NULL, NULL, 0, 0, NULL, NULL) != OBJFORGE_ERR_ARGUMENT) {
        fprintf(stderr, "NULL error record: wrong code\n");
        failures++;
    }
    objforge_free(none);
    objforge_free(arm);
    objforge_free(obj);
    objforge_free(NULL);
    printf("objforge %s: %d failures\n", objforge_version(), failures);
    return failures != 0;
}
