# steadydose: the device package (pure core + thin hardware shells), copied to the Pico as /steadydose.
