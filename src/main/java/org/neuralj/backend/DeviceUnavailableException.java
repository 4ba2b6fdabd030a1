package org.neuralj.backend;

/** See the class name; the message names the tensor, device or parameter at fault. */
public class DeviceUnavailableException extends NeuralJException {
    public DeviceUnavailableException(String message) {
        super(message);
    }

    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
