+ Corral 1.0 ./corral
