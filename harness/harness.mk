# Builds the harness for one toolchain: linked statically with its libpython and built with its
# sanitizer, so the harness and the interpreter it embeds share one sanitizer runtime.
# Included variables come from toolchain/harness.sh (config.mk next to the objects).
include $(CONFIG)

SRCS    := $(sort $(wildcard harness/*.c))
OBJS    := $(SRCS:harness/%.c=$(BUILD)/%.o)
CFLAGS  := -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror=implicit-function-declaration \
           $(SANFLAGS) -I$(PYINC) -MMD -MP
# -Wl,-E: extension modules resolve the Python C API from the harness executable itself.
LDFLAGS := $(SANFLAGS) -Wl,-E
LIBS    := $(LIBPY) $(PYLIBS) -lyaml -ljansson -lpthread -lm -ldl -lutil

$(BUILD)/harness: $(OBJS) $(BUILD)/sym/llvm-symbolizer
	$(CC) $(LDFLAGS) -o $@.tmp $(OBJS) $(LIBS) && mv $@.tmp $@

# The symbolizer the runs are given (harness/symd.h): no sanitizer, no interpreter.
$(BUILD)/sym/llvm-symbolizer: harness/tools/symshim.c harness/symd.h $(CONFIG)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -o $@.tmp $< && mv $@.tmp $@

$(BUILD)/%.o: harness/%.c $(CONFIG)
	$(CC) $(CFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d)
