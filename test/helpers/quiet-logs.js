// Tests log warnings and errors only, unless PIPEWARDEN_LOG_LEVEL says otherwise.
process.env.PIPEWARDEN_LOG_LEVEL = process.env.PIPEWARDEN_LOG_LEVEL || 'warn';
