# steadydose.drivers: hardware drivers; each takes its pins/buses as arguments.
