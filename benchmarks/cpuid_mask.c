/* Preloaded by benchmarks/avx2_only.py: this process and every thread it starts sees an AVX2-only CPU.
 *
 * Libraries that pick kernels at run time (ONNX Runtime's MLAS, llama.cpp, NumPy, PyTorch, oneDNN) read the
 * CPUID instruction, and none has a switch that caps them all. Linux can make CPUID fault in user space
 * (arch_prctl ARCH_SET_CPUID, on CPUs whose /proc/cpuinfo lists cpuid_fault); the fault arrives here as SIGSEGV,
 * the real CPUID runs with faulting briefly off, and the AVX-512, AVX-VNNI, bf16 and AMX bits are cleared before
 * the result is handed back. Code then runs at full speed on the kernels an AVX2-only CPU would get.
 * The setting survives clone() (threads) and is reset by execve(); LD_PRELOAD re-installs it in children.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define BIT(n) (1u << (n))

static int cpuid_faults(int faulting) { return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, faulting ? 0 : 1); }

static void hide_beyond_avx2(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    if (leaf == 7 && subleaf == 0) {
        /* AVX512 F, DQ, IFMA, PF, ER, CD, BW, VL */
        *b &= ~(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31));
        /* AVX512 VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
        *c &= ~(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14));
        /* AVX512 4VNNIW, 4FMAPS, VP2INTERSECT, FP16; AMX BF16, TILE, INT8 */
        *d &= ~(BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25));
    } else if (leaf == 7 && subleaf == 1) {
        *a &= ~(BIT(4) | BIT(5)); /* AVX-VNNI, AVX512_BF16 */
    }
}

static void on_segv(int signal_number, siginfo_t *info, void *context) {
    (void)info;
    greg_t *registers = ((ucontext_t *)context)->uc_mcontext.gregs;
    const uint8_t *instruction = (const uint8_t *)registers[REG_RIP];
    if (instruction[0] != 0x0f || instruction[1] != 0xa2) {
        /* A real fault: let it kill the process as it would have without us. */
        signal(signal_number, SIG_DFL);
        return;
    }
    uint32_t leaf = (uint32_t)registers[REG_RAX], subleaf = (uint32_t)registers[REG_RCX];
    uint32_t a, b, c, d;
    cpuid_faults(0);
    __cpuid_count(leaf, subleaf, a, b, c, d);
    cpuid_faults(1);
    hide_beyond_avx2(leaf, subleaf, &a, &b, &c, &d);
    registers[REG_RAX] = a;
    registers[REG_RBX] = b;
    registers[REG_RCX] = c;
    registers[REG_RDX] = d;
    registers[REG_RIP] += 2;
}

__attribute__((constructor)) static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &action, 0);
    cpuid_faults(1);
}
