enum AudioFrontEndModule {}
