package org.neuralj.backend;

/** See the class name; the message names the tensor, device or parameter at fault. */
public class DeviceOutOfMemoryException extends NeuralJException {
    public DeviceOutOfMemoryException(String message) {
        super(message);
    }

    public DeviceOutOfMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
