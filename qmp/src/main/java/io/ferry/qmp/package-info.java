/** A QMP (QEMU Machine Protocol) client over unix sockets. Knows nothing of migrations. */
package io.ferry.qmp;
