/** PCI devices through sysfs, binding to vfio-pci and back. Knows nothing of QMP. */
package io.ferry.vfio;
