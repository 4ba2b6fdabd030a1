package org.neuralj.backend;

import java.util.concurrent.atomic.AtomicLong;

/** Counts explicit host-to-device and device-to-host copies, so tests can prove there are none between layers. */
public final class TransferStats {
    private final AtomicLong uploads = new AtomicLong();
    private final AtomicLong uploadedBytes = new AtomicLong();
    private final AtomicLong downloads = new AtomicLong();
    private final AtomicLong downloadedBytes = new AtomicLong();

    public void countUpload(long bytes) {
        uploads.incrementAndGet();
        uploadedBytes.addAndGet(bytes);
    }

    public void countDownload(long bytes) {
        downloads.incrementAndGet();
        downloadedBytes.addAndGet(bytes);
    }

    public long uploads() {
        return uploads.get();
    }

    public long uploadedBytes() {
        return uploadedBytes.get();
    }

    public long downloads() {
        return downloads.get();
    }

    public long downloadedBytes() {
        return downloadedBytes.get();
    }

    @Override
    public String toString() {
        return uploads() + " uploads (" + uploadedBytes() + " B), " + downloads() + " downloads (" + downloadedBytes() + " B)";
    }
}
