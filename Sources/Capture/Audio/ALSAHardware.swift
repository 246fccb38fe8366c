import CALSA

/// The hardware parameters capture and playback share: interleaved S16_LE, the channel
/// count, and the nearest rate, period and buffer the driver grants.
enum ALSAHardware {
    /// Returns what the driver granted: (rate, period frames, buffer frames).
    static func configure(_ pcm: OpaquePointer?, device: String, rate: Int, channels: Int, periodFrames: Int, periods: Int) throws(ALSAError)
        -> (rate: Int, periodFrames: Int, bufferFrames: Int)
    {
        var hw: OpaquePointer?
        try alsa("snd_pcm_hw_params_malloc", device) { snd_pcm_hw_params_malloc(&hw) }
        defer { snd_pcm_hw_params_free(hw) }
        try alsa("snd_pcm_hw_params_any", device) { snd_pcm_hw_params_any(pcm, hw) }
        try alsa("set access RW_INTERLEAVED", device) { snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) }
        try alsa("set format S16_LE", device) { snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE) }
        try alsa("set channels \(channels)", device) { snd_pcm_hw_params_set_channels(pcm, hw, UInt32(channels)) }
        var grantedRate = UInt32(rate)
        var direction: Int32 = 0
        try alsa("set rate \(rate)", device) { snd_pcm_hw_params_set_rate_near(pcm, hw, &grantedRate, &direction) }
        var period = snd_pcm_uframes_t(periodFrames)
        try alsa("set period \(periodFrames)", device) { snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &direction) }
        var buffer = snd_pcm_uframes_t(periodFrames * periods)
        try alsa("set buffer", device) { snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer) }
        try alsa("snd_pcm_hw_params", device) { snd_pcm_hw_params(pcm, hw) }
        return (Int(grantedRate), Int(period), Int(buffer))
    }
}
