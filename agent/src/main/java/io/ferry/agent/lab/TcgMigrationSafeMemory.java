package io.ferry.agent.lab;

/**
 * The guest RAM size the lab gives QEMU: under TCG, {@link #PAD_KIB} more than asked, so that the
 * RAM block is not a multiple of 64 target pages (256 KiB).
 *
 * <p>Why: QEMU 7.2's {@code cpu_physical_memory_sync_dirty_bitmap} (include/exec/ram_addr.h)
 * has a fast path, taken when the block's start and length are 64-page aligned, that swaps the
 * migration dirty bits to zero without resetting the TCG softmmu TLB. A TLB entry filled while
 * the page was already dirty carries no TLB_NOTDIRTY flag, so later guest writes through it (a
 * kernel stack, a slab page) set no dirty bit: the page is never sent again and the destination
 * resumes with a stale copy (kernel Oops/panic right after {@code cont}, seen in about one
 * migration in seven here). Upstream fixed it in QEMU 9.0 ("physmem: Fix migration dirty bitmap
 * coherency with TCG memory access"), not in 7.2.x. The unaligned length sends 7.2 down the
 * per-page path, {@code cpu_physical_memory_test_and_clear_dirty}, which does reset the TLB for
 * each page it clears. QEMU aligns RAM sizes to 8 KiB, hence 8 KiB. KVM tracks dirty pages in the
 * kernel and needs none of this.
 */
final class TcgMigrationSafeMemory {
  /** Extra guest RAM under TCG that keeps QEMU 7.2 on its TLB-safe dirty sync path. */
  static final int PAD_KIB = 8;

  private TcgMigrationSafeMemory() {}

  /** The {@code -m} value for {@code memoryMiB} of guest RAM under {@code accelerator}. */
  static String qemuValue(Accelerator accelerator, int memoryMiB) {
    if (accelerator != Accelerator.TCG) {
      return Integer.toString(memoryMiB);
    }
    return (memoryMiB * 1024L + PAD_KIB) + "K";
  }
}
