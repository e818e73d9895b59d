/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Rust test binaries under Wine 8.0.
 *
 * Rust's standard library (1.78 and later) gets its random numbers (HashMap seeds) from
 * ProcessPrng in bcryptprimitives.dll, which Wine 8.0 does not ship: without this DLL a Rust
 * program fails to load (with WINEDEBUG=-all the only symptom is exit status 53). This DLL
 * exports ProcessPrng and fills the buffer from RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has. Copied into the Wine prefix's system32 by .ci/portability.sh; never shipped.
 */
#include <stdlib.h>
#include <windows.h>
#include <ntsecapi.h>

/* The documented contract: fills `len` bytes of `data` and always returns TRUE. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) {
            /* Not expected on Wine; fail loudly rather than hand out unfilled bytes. */
            abort();
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
