# The appliance image (docs/image.md). Run as root on Debian 12; each target installs
# the Debian packages it needs, saying so. The test suite is ./dev test, not make.
#   make image        build image-build/out/selfdata-gateway-*.img.zst (25-40 min here from scratch)
#   make image-test   boot it under QEMU and run the self-test (~9 min here)
#   make image-clean  remove image-build/out (the cached Debian base too)
.PHONY: image image-test image-clean

image:
	image-build/build.sh

image-test:
	image-build/boot-test.sh

image-clean:
	rm -rf image-build/out
